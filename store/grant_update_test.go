package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

func TestUpdateGrant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := opsgate.NewContextWithActor(context.Background(), "ui:alice")
		gs := store.NewGrantService(db)
		a := &opsgate.Grant{Command: "deploy", Type: "user", Value: "U1"}
		b := &opsgate.Grant{Command: "deploy", Type: "user", Value: "U2"}
		for _, g := range []*opsgate.Grant{a, b} {
			if err := gs.CreateGrant(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		exp := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
		up := &opsgate.Grant{ID: a.ID, Command: "deploy", Subcommand: "prod", Type: "user", Value: "U1", Name: "alice", ExpiresAt: &exp}
		if err := gs.UpdateGrant(ctx, up); err != nil {
			t.Fatal(err)
		}
		got, _ := gs.FindGrants(ctx, opsgate.GrantFilter{ID: &a.ID})
		if len(got) != 1 || got[0].Subcommand != "prod" || got[0].Name != "alice" || got[0].ExpiresAt == nil || !got[0].CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("after update: %+v", got)
		}
		// Saving again without changes (the same expiry) is fine, and changes nothing.
		same := *up
		if err := gs.UpdateGrant(ctx, &same); err != nil {
			t.Errorf("unchanged update: %v", err)
		}
		clash := &opsgate.Grant{ID: a.ID, Command: "deploy", Type: "user", Value: "U2"}
		if err := gs.UpdateGrant(ctx, clash); opsgate.ErrorCode(err) != opsgate.ECONFLICT {
			t.Errorf("update into an equal grant: %v, want ECONFLICT", err)
		}
		past := time.Now().Add(-time.Hour)
		if err := gs.UpdateGrant(ctx, &opsgate.Grant{ID: a.ID, Command: "deploy", Type: "user", Value: "U1", ExpiresAt: &past}); opsgate.ErrorCode(err) != opsgate.EINVALID {
			t.Errorf("new expiry in the past: %v, want EINVALID", err)
		}
		if err := gs.UpdateGrant(ctx, &opsgate.Grant{ID: 999, Command: "x", Type: "user", Value: "U"}); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Errorf("unknown id: %v, want ENOTFOUND", err)
		}
		es, _ := store.NewAuditService(db).FindAuditEntries(ctx, "grant", 1)
		if len(es) != 1 || es[0].Action != "update" || es[0].Actor != "ui:alice" || es[0].Before == "" || es[0].After == "" {
			t.Errorf("audit: %+v", es)
		}
	})
}
