// Package chatadmin is administration from chat, as Errbot has: `grant`, `access check`, `token
// list`, `approval list` and `group` commands. Each is an ordinary command, so grants decide who may
// use it; changes go through the same services as the CLI (same validation, audited as the chat
// user), and every reply and error is shown only to the asker.
package chatadmin

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/access"
	"github.com/opsgate/opsgate/kit"
)

// Admin holds the services the commands use.
type Admin struct {
	Grants    opsgate.GrantService
	Groups    opsgate.GroupService
	Tokens    opsgate.TokenService
	Approvals opsgate.ApprovalService
	Auth      opsgate.Authorizer
	Now       func() time.Time
}

// Commands returns the admin commands to register in the pipeline.
func (a *Admin) Commands() []*opsgate.Command {
	args := []opsgate.Param{{Name: "args", Optional: true}}
	sub := func(name, help string, run func(ctx context.Context, inv *opsgate.Invocation) (string, error)) *opsgate.Subcommand {
		return &opsgate.Subcommand{Name: name, Help: help, Params: args, Run: func(ctx context.Context, inv *opsgate.Invocation) error {
			ctx = opsgate.NewContextWithActor(ctx, inv.Request.Platform+":"+inv.Request.UserID)
			text, err := run(ctx, inv)
			if err != nil {
				return err
			}
			_, err = inv.Out.Send(ctx, opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{opsgate.Text{Markdown: text}}})
			return err
		}}
	}
	return []*opsgate.Command{
		{Name: "grant", Help: "Manage access grants from chat.", Private: true, Subcommands: []*opsgate.Subcommand{
			sub("list", "List access grants.", a.grantList),
			sub("add", "Add a grant: `grant add --command C [--subcommand S] --type T (--value ID | --group G) [--when TYPE=ID] [--platform P] [--name N] [--expires 72h]`.", a.grantAdd),
			sub("delete", "Delete a grant: `grant delete ID`.", a.grantDelete),
		}},
		{Name: "access", Help: "Explain access decisions from chat.", Private: true, Subcommands: []*opsgate.Subcommand{
			sub("check", "Explain whether a user may run a command: `access check [--user U] [--channel C] [--org O] [--platform P] COMMAND [SUBCOMMAND]` (default: you, here).", a.accessCheck),
		}},
		{Name: "token", Help: "Command tokens (prefixes only).", Private: true, Subcommands: []*opsgate.Subcommand{
			sub("list", "List command tokens.", a.tokenList),
		}},
		{Name: "approval", Help: "Two-person approval rules.", Private: true, Subcommands: []*opsgate.Subcommand{
			sub("list", "List approval rules and the requests waiting.", a.approvalList),
		}},
		{Name: "group", Help: "Groups of users from chat.", Private: true, Subcommands: []*opsgate.Subcommand{
			sub("list", "List groups and members.", a.groupList),
			sub("add", "Add a group: `group add NAME [--platform P] [USER...]`.", a.groupAdd),
			sub("delete", "Delete a group: `group delete NAME`.", a.groupDelete),
			sub("member", "Change members: `group member add|remove NAME USER...`.", a.groupMember),
		}},
	}
}

// flags parses a command's words like the CLI: --name value or --name=value, repeatable where said.
func flags(name string, args []string, define func(fs *flag.FlagSet)) ([]string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	define(fs)
	if err := fs.Parse(args); err != nil {
		return nil, opsgate.Errorf(opsgate.EINVALID, "`%s`: %v. See `help %s`.", name, err, strings.Fields(name)[0])
	}
	return fs.Args(), nil
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func code(s string) string { return "```\n" + strings.TrimRight(s, "\n") + "\n```" }

func (a *Admin) grantList(ctx context.Context, inv *opsgate.Invocation) (string, error) {
	gs, err := a.Grants.FindGrants(ctx, opsgate.GrantFilter{})
	if err != nil {
		return "", err
	}
	if len(gs) == 0 {
		return "No grants.", nil
	}
	t := opsgate.Table{Header: []string{"ID", "PLATFORM", "COMMAND", "SUBCOMMAND", "TYPE", "VALUE", "WHEN"}}
	for _, g := range gs {
		var when []string
		for _, c := range g.Conditions {
			when = append(when, c.String())
		}
		p := g.Platform
		if p == "" {
			p = "*"
		}
		t.Rows = append(t.Rows, []string{strconv.FormatInt(g.ID, 10), p, g.Command, g.Subcommand, string(g.Type), g.Target(), strings.Join(when, " ")})
	}
	return code(t.Text()), nil
}

func (a *Admin) grantAdd(ctx context.Context, inv *opsgate.Invocation) (string, error) {
	var g opsgate.Grant
	var typ, expires string
	var when multi
	rest, err := flags("grant add", inv.Route.Args, func(fs *flag.FlagSet) {
		fs.StringVar(&g.Command, "command", "", "")
		fs.StringVar(&g.Subcommand, "subcommand", "", "")
		fs.StringVar(&typ, "type", "", "")
		fs.StringVar(&g.Value, "value", "", "")
		fs.StringVar(&g.Group, "group", "", "")
		fs.StringVar(&g.Name, "name", "", "")
		fs.StringVar(&g.Platform, "platform", "", "")
		fs.StringVar(&expires, "expires", "", "")
		fs.Var(&when, "when", "")
	})
	if err != nil {
		return "", err
	}
	if len(rest) > 0 {
		return "", opsgate.Errorf(opsgate.EINVALID, "`grant add` takes only flags, not %q.", rest[0])
	}
	g.Type = opsgate.GrantType(typ)
	g.Normalize()
	if g.Platform != "" {
		if g.Platform, err = kit.ChatPlatform(g.Platform); err != nil {
			return "", err
		}
	}
	for _, w := range when {
		c, err := opsgate.ParseCondition(w)
		if err != nil {
			return "", err
		}
		g.Conditions = append(g.Conditions, c)
	}
	if expires != "" {
		now := a.Now()
		t, err := time.Parse(time.RFC3339, expires)
		if d, derr := time.ParseDuration(expires); derr == nil {
			t, err = now.Add(d), nil
		}
		if err != nil {
			return "", opsgate.Errorf(opsgate.EINVALID, "--expires %q is neither a duration like 72h nor an RFC 3339 time.", expires)
		}
		g.ExpiresAt = &t
	}
	if err := a.Grants.CreateGrant(ctx, &g); err != nil {
		return "", err
	}
	return fmt.Sprintf("Grant %d added.", g.ID), nil
}

func oneID(what string, args []string) (int64, error) {
	if len(args) != 1 {
		return 0, opsgate.Errorf(opsgate.EINVALID, "Name one %s id.", what)
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return 0, opsgate.Errorf(opsgate.EINVALID, "%s id %q is not a number.", what, args[0])
	}
	return id, nil
}

func (a *Admin) grantDelete(ctx context.Context, inv *opsgate.Invocation) (string, error) {
	id, err := oneID("grant", inv.Route.Args)
	if err != nil {
		return "", err
	}
	if err := a.Grants.DeleteGrant(ctx, id); err != nil {
		return "", err
	}
	return fmt.Sprintf("Grant %d deleted.", id), nil
}

func (a *Admin) accessCheck(ctx context.Context, inv *opsgate.Invocation) (string, error) {
	s := inv.Request.Subject()
	set := func(fs *flag.FlagSet, p *string, name string) { fs.StringVar(p, name, *p, "") }
	rest, err := flags("access check", inv.Route.Args, func(fs *flag.FlagSet) {
		set(fs, &s.UserID, "user")
		set(fs, &s.ChannelID, "channel")
		set(fs, &s.OrgID, "org")
		set(fs, &s.Platform, "platform")
	})
	if err != nil {
		return "", err
	}
	if len(rest) < 1 || len(rest) > 2 {
		return "", opsgate.Errorf(opsgate.EINVALID, "`access check` takes COMMAND [SUBCOMMAND].")
	}
	if s != inv.Request.Subject() { // names are the caller's; another subject is known by ids
		s.UserName, s.ChannelName, s.OrgName = "", "", ""
	}
	sub := ""
	if len(rest) == 2 {
		sub = rest[1]
	}
	d := a.Auth.Decide(s, rest[0], sub)
	gs, err := a.Grants.FindGrants(ctx, opsgate.GrantFilter{})
	if err != nil {
		return "", err
	}
	head := "allowed"
	if !d.Allowed {
		head = "denied: " + d.Message
	}
	return code(head + "\n" + access.Explain(d, gs)), nil
}

func (a *Admin) tokenList(ctx context.Context, inv *opsgate.Invocation) (string, error) {
	ts, err := a.Tokens.FindTokens(ctx, "")
	if err != nil {
		return "", err
	}
	if len(ts) == 0 {
		return "No command tokens.", nil
	}
	t := opsgate.Table{Header: []string{"ID", "PLATFORM", "PREFIX", "COMMENT"}}
	for _, tok := range ts {
		t.Rows = append(t.Rows, []string{strconv.FormatInt(tok.ID, 10), tok.Platform, tok.Prefix + "…", tok.Comment})
	}
	return code(t.Text()), nil
}

func (a *Admin) approvalList(ctx context.Context, inv *opsgate.Invocation) (string, error) {
	rs, err := a.Approvals.FindApprovalRules(ctx)
	if err != nil {
		return "", err
	}
	waiting, err := a.Approvals.FindApprovalRequests(ctx, opsgate.StatusAwaitingApproval, 50)
	if err != nil {
		return "", err
	}
	if len(rs) == 0 && len(waiting) == 0 {
		return "No approval rules.", nil
	}
	t := opsgate.Table{Header: []string{"RULE", "PLATFORM", "COMMAND", "SUBCOMMAND", "REQUIRED", "APPROVERS", "TIMEOUT"}}
	for _, r := range rs {
		who := append(append([]string(nil), r.Approvers...), prefixed("group ", r.Groups)...)
		p := r.Platform
		if p == "" {
			p = "*"
		}
		t.Rows = append(t.Rows, []string{strconv.FormatInt(r.ID, 10), p, r.Command, r.Subcommand, strconv.Itoa(r.Required), strings.Join(who, ", "), r.Timeout.String()})
	}
	out := code(t.Text())
	for _, w := range waiting {
		out += fmt.Sprintf("\nRequest %d: `%s` from %s waits (%d of %d approvals) until %s.", w.ID, w.Request.Text, w.Request.UserID,
			len(w.Approvals), w.Required, w.ExpiresAt.Format(time.RFC3339))
	}
	return out, nil
}

func prefixed(p string, s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = p + v
	}
	return out
}

func (a *Admin) groupList(ctx context.Context, inv *opsgate.Invocation) (string, error) {
	gs, err := a.Groups.FindGroups(ctx, "")
	if err != nil {
		return "", err
	}
	if len(gs) == 0 {
		return "No groups.", nil
	}
	t := opsgate.Table{Header: []string{"NAME", "PLATFORM", "MEMBERS"}}
	for _, g := range gs {
		p := g.Platform
		if p == "" {
			p = "*"
		}
		t.Rows = append(t.Rows, []string{g.Name, p, strings.Join(g.Members, " ")})
	}
	return code(t.Text()), nil
}

func (a *Admin) groupAdd(ctx context.Context, inv *opsgate.Invocation) (string, error) {
	var g opsgate.Group
	rest, err := flags("group add", inv.Route.Args, func(fs *flag.FlagSet) { fs.StringVar(&g.Platform, "platform", "", "") })
	if err != nil {
		return "", err
	}
	if len(rest) == 0 {
		return "", opsgate.Errorf(opsgate.EINVALID, "`group add` needs a NAME.")
	}
	g.Name, g.Members = rest[0], rest[1:]
	g.Normalize()
	if g.Platform != "" {
		if g.Platform, err = kit.ChatPlatform(g.Platform); err != nil {
			return "", err
		}
	}
	if err := a.Groups.CreateGroup(ctx, &g); err != nil {
		return "", err
	}
	return fmt.Sprintf("Group %s added (%d members).", g.Name, len(g.Members)), nil
}

func (a *Admin) groupDelete(ctx context.Context, inv *opsgate.Invocation) (string, error) {
	if len(inv.Route.Args) != 1 {
		return "", opsgate.Errorf(opsgate.EINVALID, "`group delete` takes one NAME.")
	}
	if err := a.Groups.DeleteGroup(ctx, inv.Route.Args[0]); err != nil {
		return "", err
	}
	return fmt.Sprintf("Group %s deleted.", inv.Route.Args[0]), nil
}

func (a *Admin) groupMember(ctx context.Context, inv *opsgate.Invocation) (string, error) {
	args := inv.Route.Args
	if len(args) < 3 || (args[0] != "add" && args[0] != "remove") {
		return "", opsgate.Errorf(opsgate.EINVALID, "`group member` takes add|remove NAME USER...")
	}
	if args[0] == "add" {
		if err := a.Groups.AddGroupMembers(ctx, args[1], args[2:]...); err != nil {
			return "", err
		}
		return fmt.Sprintf("Group %s: added %s.", args[1], strings.Join(args[2:], " ")), nil
	}
	if err := a.Groups.RemoveGroupMembers(ctx, args[1], args[2:]...); err != nil {
		return "", err
	}
	return fmt.Sprintf("Group %s: removed %s.", args[1], strings.Join(args[2:], " ")), nil
}
