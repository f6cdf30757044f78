package approval_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/approval"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// chat records what is posted to one channel.
type chat struct {
	mu   sync.Mutex
	sent []string
}

func (c *chat) Send(_ context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range m.Blocks {
		if t, ok := b.(opsgate.Text); ok {
			c.sent = append(c.sent, t.Markdown)
		}
	}
	return "", nil
}
func (c *chat) Delete(context.Context, opsgate.MessageRef) error { return nil }
func (c *chat) Busy(context.Context) error                       { return nil }

// A request nobody decides expires once its time is up: the sweep (on any replica) marks it
// expired once, tells the requester's channel and logs it; a late approval is refused.
func TestRequestExpires(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	approvals, log := store.NewApprovalService(db), store.NewCommandLogService(db)
	if err := approvals.CreateApprovalRule(ctx, &opsgate.ApprovalRule{Command: "deploy", Approvers: []string{"U2"}, Timeout: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	requester := &chat{}
	newGate := func() *approval.Gate {
		g := &approval.Gate{Store: approvals, Groups: store.NewGroupService(db), Log: log, Now: func() time.Time { return now },
			Open: func(context.Context, string, string) (opsgate.Dispatcher, error) { return requester, nil },
			Handle: func(context.Context, *opsgate.Request, opsgate.Dispatcher) string {
				t.Error("an expired request ran")
				return ""
			}}
		if err := g.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		return g
	}
	g1, g2 := newGate(), newGate() // two replicas
	req := &opsgate.Request{Platform: "slack", ChannelID: "C1", UserID: "U1", Text: "deploy web"}
	route := &opsgate.Route{Command: "deploy", Subcommand: "web"}
	if !g1.Holds(req, route) || g1.Holds(req, &opsgate.Route{Command: "status"}) {
		t.Fatal("the rule should hold deploy and only deploy")
	}
	if _, _, err := g1.Hold(ctx, req, route); err != nil {
		t.Fatal(err)
	}
	g1.Sweep(ctx)
	if a, _ := approvals.FindApprovalRequest(ctx, 1); a.Status != opsgate.StatusAwaitingApproval {
		t.Fatalf("expired early: %s", a.Status)
	}
	now = now.Add(10 * time.Minute)
	g1.Sweep(ctx)
	g2.Sweep(ctx)
	if a, _ := approvals.FindApprovalRequest(ctx, 1); a.Status != opsgate.StatusExpired {
		t.Fatalf("status %s, want expired", a.Status)
	}
	if len(requester.sent) != 1 || !strings.Contains(requester.sent[0], "Request 1 (`deploy web` from U1) expired without a decision.") {
		t.Errorf("requester told %q", requester.sent)
	}
	es, _ := log.FindCommandLogEntries(ctx, 10)
	if len(es) != 1 || es[0].Status != opsgate.StatusExpired || es[0].UserID != "U1" || es[0].Command != "deploy" {
		t.Errorf("command log %+v", es)
	}
	approver := &chat{}
	err := g2.Commands()[0].Run(ctx, &opsgate.Invocation{Request: &opsgate.Request{Platform: "slack", UserID: "U2"},
		Route: &opsgate.Route{Params: map[string]string{"request": "1"}}, Out: approver})
	if !strings.Contains(opsgate.ErrorMessage(err), "Request 1 is already expired") {
		t.Errorf("late approval: %v", err)
	}
}

// An approved request the pipeline refuses (overloaded, stopping) is not silently lost: the
// requester is told it did not start.
func TestApprovedButRefusedIsTold(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	approvals := store.NewApprovalService(db)
	if err := approvals.CreateApprovalRule(ctx, &opsgate.ApprovalRule{Command: "deploy", Approvers: []string{"U2"}, Timeout: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	requester := &chat{}
	g := &approval.Gate{Store: approvals, Groups: store.NewGroupService(db), Log: store.NewCommandLogService(db),
		Open: func(context.Context, string, string) (opsgate.Dispatcher, error) { return requester, nil },
		Handle: func(context.Context, *opsgate.Request, opsgate.Dispatcher) string {
			return "opsgate is overloaded; please try again shortly."
		}}
	if err := g.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	req := &opsgate.Request{Platform: "slack", ChannelID: "C1", UserID: "U1", Text: "deploy web"}
	if _, _, err := g.Hold(ctx, req, &opsgate.Route{Command: "deploy", Subcommand: "web"}); err != nil {
		t.Fatal(err)
	}
	var approve *opsgate.Command
	for _, c := range g.Commands() {
		if c.Name == "approve" {
			approve = c
		}
	}
	if approve == nil {
		t.Fatal("no approve command")
	}
	approver := &chat{}
	inv := &opsgate.Invocation{Request: &opsgate.Request{Platform: "slack", ChannelID: "C1", UserID: "U2"},
		Route: &opsgate.Route{Command: "approve", Params: map[string]string{"request": "1"}}, Out: approver}
	if err := approve.Run(ctx, inv); err != nil {
		t.Fatal(err)
	}
	told := strings.Join(requester.sent, "\n")
	if !strings.Contains(told, "Request 1 was approved, but opsgate could not start it: opsgate is overloaded") {
		t.Fatalf("requester not told the approved run was refused: %q", told)
	}
}
