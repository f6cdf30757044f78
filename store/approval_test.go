package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// Decisions arriving on several replicas at once move a request out of awaiting_approval exactly
// once; approvals from different people add up, the same person's twice do not.
func TestApprovalDecidedOnce(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres, store.MySQL} {
		t.Run(dialect, func(t *testing.T) { testApprovalDecidedOnce(t, storetest.DSN(t, dialect)) })
	}
}

func testApprovalDecidedOnce(t *testing.T, dsn string) {
	ctx := opsgate.NewContextWithActor(context.Background(), "cli:alice")
	// Each replica has its own connection pool on the same database.
	var replicas []*store.ApprovalService
	for range 2 {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		replicas = append(replicas, store.NewApprovalService(db))
	}
	rule := &opsgate.ApprovalRule{Command: "deploy", Approvers: []string{"U2", "U3", "U4"}, Required: 2}
	if err := replicas[0].CreateApprovalRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		a := &opsgate.ApprovalRequest{RuleID: rule.ID, Request: opsgate.Request{Platform: "slack", UserID: "U1", Text: "deploy web"},
			Command: "deploy", Required: 2, ExpiresAt: time.Now().Add(time.Hour)}
		if err := replicas[0].CreateApprovalRequest(ctx, a); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		moved, conflicts := 0, 0
		var wg sync.WaitGroup
		for i, who := range []string{"U2", "U3", "U4", "U2", "U3", "U4"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, m, err := replicas[i%2].Decide(ctx, a.ID, who, opsgate.StatusApproved, "")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && m:
					moved++
				case opsgate.ErrorCode(err) == opsgate.ECONFLICT || err == nil:
					conflicts++
				default:
					t.Errorf("round %d: %v", round, err)
				}
			}()
		}
		wg.Wait()
		got, err := replicas[1].FindApprovalRequest(ctx, a.ID)
		if moved != 1 || err != nil || got.Status != opsgate.StatusApproved || len(got.Approvals) != 2 || got.Approvals[0] == got.Approvals[1] {
			t.Fatalf("round %d: moved %d times, request %+v %v", round, moved, got, err)
		}
	}
	if _, _, err := replicas[0].Decide(ctx, 999, "U2", opsgate.StatusDenied, ""); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
		t.Fatalf("unknown request: %v", err)
	}
}
