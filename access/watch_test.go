package access_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/access"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// A grant added through another connection (the CLI, another replica) reaches a running
// authorizer within one poll, and a deleted one stops allowing.
func TestWatcherPicksUpChanges(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	grants, audit := store.NewGrantService(db), store.NewAuditService(db)
	for _, g := range []*opsgate.Grant{
		{Command: "*", Subcommand: "*", Type: opsgate.GrantOrganization, Value: "T"},
		{Command: "*", Subcommand: "*", Type: opsgate.GrantChannel, Value: "*"},
	} {
		if err := grants.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	a := access.New(nil)
	w := &access.Watcher{Auth: a, Grants: grants, Audit: audit, Interval: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	if err := w.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go w.Run(wctx)

	s := opsgate.Subject{OrgID: "T", ChannelID: "C", UserID: "U"}
	waitFor := func(want bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if a.Decide(s, "dns", "flush").Allowed == want {
				return
			}
		}
		t.Fatalf("decision did not become allowed=%v", want)
	}
	waitFor(false)
	g := &opsgate.Grant{Command: "dns", Subcommand: "*", Type: opsgate.GrantUser, Value: "U"}
	if err := grants.CreateGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	waitFor(true)
	if err := grants.DeleteGrant(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(false)
}
