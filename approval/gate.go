// Package approval is two-person approval: rules hold matching commands (after the grants allowed
// them) until enough named approvers say yes in chat; the command then runs as the requester.
package approval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/opsgate/opsgate"
)

var _ opsgate.Gate = (*Gate)(nil)

// Gate holds requests for approval and answers `approve N` and `deny N [reason]`.
type Gate struct {
	Store  opsgate.ApprovalService
	Groups opsgate.GroupService
	Log    opsgate.CommandLogService
	// Handle re-enters the pipeline with an approved request: grants are checked again, as the
	// requester, and the command runs.
	// Handle is the pipeline; it returns a refusal when it did not take the request.
	Handle opsgate.RequestHandler
	// Open reaches the requester's channel on its platform; nil, or an error, and the result goes
	// where the deciding approver wrote (the terminal chat, where each chat is its own process).
	Open   func(ctx context.Context, platform, channel string) (opsgate.Dispatcher, error)
	Now    func() time.Time
	Logger *slog.Logger

	rules atomic.Pointer[[]*opsgate.ApprovalRule]
}

// Reload reads the rules; held decisions are made from memory, like grants.
func (g *Gate) Reload(ctx context.Context) error {
	rules, err := g.Store.FindApprovalRules(ctx)
	if err != nil {
		return err
	}
	g.rules.Store(&rules)
	return nil
}

func (g *Gate) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Gate) rule(platform, command, subcommand string) *opsgate.ApprovalRule {
	if rs := g.rules.Load(); rs != nil {
		for _, r := range *rs {
			if r.Matches(platform, command, subcommand) {
				return r
			}
		}
	}
	return nil
}

func (g *Gate) ruleByID(id int64) *opsgate.ApprovalRule {
	if rs := g.rules.Load(); rs != nil {
		for _, r := range *rs {
			if r.ID == id {
				return r
			}
		}
	}
	return nil
}

// Holds reports whether a rule holds the request. approve and deny themselves are never held.
func (g *Gate) Holds(req *opsgate.Request, route *opsgate.Route) bool {
	if route.Command == "approve" || route.Command == "deny" {
		return false
	}
	return g.rule(req.Platform, route.Command, route.Subcommand) != nil
}

// who names a rule's approvers for people.
func who(r *opsgate.ApprovalRule) string {
	var parts []string
	parts = append(parts, r.Approvers...)
	for _, gr := range r.Groups {
		parts = append(parts, "group "+gr)
	}
	s := strings.Join(parts, ", ")
	if r.Required > 1 {
		s = fmt.Sprintf("%d of %s", r.Required, s)
	}
	return s
}

// Hold stores the request and returns the notice with Approve and Deny buttons (on platforms
// without buttons, their commands are the text to send).
func (g *Gate) Hold(ctx context.Context, req *opsgate.Request, route *opsgate.Route) (opsgate.Message, string, error) {
	r := g.rule(req.Platform, route.Command, route.Subcommand)
	if r == nil {
		return opsgate.Message{}, "", opsgate.Errorf(opsgate.EINTERNAL, "approval rule vanished")
	}
	a := &opsgate.ApprovalRequest{RuleID: r.ID, Request: *req, Command: route.Command, Subcommand: route.Subcommand,
		Required: r.Required, ExpiresAt: g.now().Add(r.Timeout).UTC().Truncate(time.Second)}
	if err := g.Store.CreateApprovalRequest(opsgate.NewContextWithActor(ctx, actor(req)), a); err != nil {
		return opsgate.Message{}, "", err
	}
	id := strconv.FormatInt(a.ID, 10)
	text := fmt.Sprintf("Request %s: `%s` from %s waits for approval by %s (until %s). Approvers: press a button, or send `approve %s` or `deny %s [reason]`.",
		id, req.Text, name(req), who(r), a.ExpiresAt.Format(time.RFC3339), id, id)
	msg := opsgate.Message{Blocks: []opsgate.Block{opsgate.Text{Markdown: text}}}
	if len(route.Params) > 0 { // what the command will do, as it parsed the text
		var f opsgate.Fields
		for _, k := range slices.Sorted(maps.Keys(route.Params)) {
			f.Fields = append(f.Fields, opsgate.Field{Name: k, Value: route.Params[k]})
		}
		msg.Blocks = append(msg.Blocks, f)
	}
	msg.Blocks = append(msg.Blocks, opsgate.Actions{Anyone: true, Buttons: []opsgate.Button{
		{Label: "Approve", Command: "approve " + id, Style: "primary"}, {Label: "Deny", Command: "deny " + id, Style: "danger"}}})
	return msg, fmt.Sprintf("request %s waits for approval by %s", id, who(r)), nil
}

func actor(req *opsgate.Request) string { return req.Platform + ":" + req.UserID }

func name(req *opsgate.Request) string {
	if req.UserName != "" && req.UserName != req.UserID {
		return req.UserName + " (" + req.UserID + ")"
	}
	return req.UserID
}

// Commands returns `approve N` and `deny N [reason]`, subject to grants like any command.
func (g *Gate) Commands() []*opsgate.Command {
	param := []opsgate.Param{{Name: "request", Help: "the request number"}}
	return []*opsgate.Command{
		{Name: "approve", Help: "Approve a request held for two-person approval: `approve N`.", Params: param,
			Run: func(ctx context.Context, inv *opsgate.Invocation) error {
				return g.decide(ctx, inv, opsgate.StatusApproved)
			}},
		{Name: "deny", Help: "Deny a request held for approval: `deny N [reason]`.", Params: append(param, opsgate.Param{Name: "reason", Optional: true}),
			Run: func(ctx context.Context, inv *opsgate.Invocation) error {
				return g.decide(ctx, inv, opsgate.StatusDenied)
			}},
	}
}

func (g *Gate) decide(ctx context.Context, inv *opsgate.Invocation, status string) error {
	raw := inv.Route.Params["request"]
	id, err := strconv.ParseInt(strings.TrimPrefix(raw, "#"), 10, 64)
	if err != nil {
		return opsgate.Errorf(opsgate.EINVALID, "%q is not a request number.", raw)
	}
	me := inv.Request
	a, err := g.Store.FindApprovalRequest(ctx, id)
	if err != nil {
		return err
	}
	if a.Status != opsgate.StatusAwaitingApproval {
		return opsgate.Errorf(opsgate.ECONFLICT, "Request %d is already %s.", id, a.Status)
	}
	if !g.now().Before(a.ExpiresAt) {
		g.expire(ctx, a, inv.Out)
		return opsgate.Errorf(opsgate.ECONFLICT, "Request %d expired at %s.", id, a.ExpiresAt.Format(time.RFC3339))
	}
	if err := g.mayDecide(ctx, a, me); err != nil {
		return err
	}
	reason := strings.TrimSpace(inv.Route.Params["reason"])
	a, moved, err := g.Store.Decide(opsgate.NewContextWithActor(ctx, actor(me)), id, me.UserID, status, reason)
	if err != nil {
		return err
	}
	if !moved {
		_, err := inv.Out.Send(ctx, opsgate.Textf("Approval of request %d recorded (%d of %d).", id, len(a.Approvals), a.Required))
		return err
	}
	g.logDecision(ctx, a, fmt.Sprintf("%s by %s", a.Status, strings.Join(decidedBy(a), ", ")))
	out := g.requesterChannel(ctx, a, inv.Out)
	if a.Status == opsgate.StatusDenied {
		text := fmt.Sprintf("Request %d (`%s` from %s) was denied by %s.", id, a.Request.Text, name(&a.Request), me.UserID)
		if reason != "" {
			text += " Reason: " + reason
		}
		_, err := out.Send(ctx, opsgate.Textf("%s", text))
		return err
	}
	if _, err := out.Send(ctx, opsgate.Textf("Request %d (`%s` from %s) was approved by %s; it runs now.", id, a.Request.Text, name(&a.Request), strings.Join(a.Approvals, ", "))); err != nil {
		g.warn("approval notice not delivered", err)
	}
	req := a.Request
	req.Approval = a.ID
	if refusal := g.Handle(context.WithoutCancel(ctx), &req, out); refusal != "" {
		// The approval stands in the logs, but nothing ran: say so rather than leave the
		// requester waiting for a result that never comes.
		g.warn("approved request refused by the pipeline", errors.New(refusal))
		_, err := out.Send(ctx, opsgate.Textf("Request %d was approved, but opsgate could not start it: %s Send the command again to ask anew.", id, refusal))
		return err
	}
	return nil
}

func decidedBy(a *opsgate.ApprovalRequest) []string {
	if a.Status == opsgate.StatusApproved {
		return a.Approvals
	}
	return []string{a.DecidedBy}
}

// mayDecide returns EUNAUTHORIZED unless me is one of the rule's approvers (by id or group), on
// the requester's platform, and not the requester.
func (g *Gate) mayDecide(ctx context.Context, a *opsgate.ApprovalRequest, me *opsgate.Request) error {
	if me.Platform != a.Request.Platform {
		return opsgate.Errorf(opsgate.EUNAUTHORIZED, "Request %d was made on %s; decide it there.", a.ID, a.Request.Platform)
	}
	if me.UserID == a.Request.UserID {
		return opsgate.Errorf(opsgate.EUNAUTHORIZED, "You cannot decide your own request %d: another person must.", a.ID)
	}
	r := g.ruleByID(a.RuleID)
	if r == nil {
		return opsgate.Errorf(opsgate.ENOTFOUND, "The rule that held request %d was deleted; it can no longer be decided.", a.ID)
	}
	if slices.Contains(r.Approvers, me.UserID) {
		return nil
	}
	for _, name := range r.Groups {
		gs, err := g.Groups.FindGroups(ctx, name)
		if err != nil {
			return err
		}
		for _, gr := range gs {
			if (gr.Platform == "" || gr.Platform == me.Platform) && slices.Contains(gr.Members, me.UserID) {
				return nil
			}
		}
	}
	return opsgate.Errorf(opsgate.EUNAUTHORIZED, "You are not an approver of request %d (approvers: %s).", a.ID, who(r))
}

func (g *Gate) requesterChannel(ctx context.Context, a *opsgate.ApprovalRequest, fallback opsgate.Dispatcher) opsgate.Dispatcher {
	if g.Open == nil {
		return fallback
	}
	d, err := g.Open(ctx, a.Request.Platform, a.Request.ChannelID)
	if err != nil || d == nil {
		return fallback
	}
	return d
}

// expire moves a request past its time to expired (once, whichever replica gets there first)
// and tells the requester's channel.
func (g *Gate) expire(ctx context.Context, a *opsgate.ApprovalRequest, fallback opsgate.Dispatcher) {
	a, moved, err := g.Store.Decide(opsgate.NewContextWithActor(ctx, "opsgate"), a.ID, "", opsgate.StatusExpired, "no decision in time")
	if err != nil || !moved {
		return
	}
	g.logDecision(ctx, a, "no decision before "+a.ExpiresAt.Format(time.RFC3339))
	if out := g.requesterChannel(ctx, a, fallback); out != nil {
		if _, err := out.Send(ctx, opsgate.Textf("Request %d (`%s` from %s) expired without a decision.", a.ID, a.Request.Text, name(&a.Request))); err != nil {
			g.warn("expiry notice not delivered", err)
		}
	}
}

// Sweep expires every waiting request past its time.
func (g *Gate) Sweep(ctx context.Context) {
	as, err := g.Store.FindApprovalRequests(ctx, opsgate.StatusAwaitingApproval, 1000)
	if err != nil {
		g.warn("approval sweep", err)
		return
	}
	for _, a := range as {
		if !g.now().Before(a.ExpiresAt) {
			g.expire(ctx, a, nil)
		}
	}
}

// Run sweeps every interval until ctx ends.
func (g *Gate) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		g.Sweep(ctx)
		if err := g.Reload(ctx); err != nil {
			g.warn("approval rules reload", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (g *Gate) logDecision(ctx context.Context, a *opsgate.ApprovalRequest, details string) {
	if g.Log == nil {
		return
	}
	r := a.Request
	e := &opsgate.CommandLogEntry{Start: g.now(), Platform: r.Platform, OrgID: r.OrgID, ChannelID: r.ChannelID, ChannelName: r.ChannelName,
		UserID: r.UserID, UserName: r.UserName, Command: a.Command, Subcommand: a.Subcommand, Params: map[string]string{},
		Status: a.Status, Details: fmt.Sprintf("request %d %s", a.ID, details)}
	if err := g.Log.CreateCommandLogEntry(context.WithoutCancel(ctx), e); err != nil {
		g.warn("command log write failed", err)
	}
}

func (g *Gate) warn(msg string, err error) {
	if g.Logger != nil {
		g.Logger.Warn(msg, "err", err)
	}
}
