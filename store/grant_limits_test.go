package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// A grant or token field the columns cannot hold is refused the same way on every database, with
// a message naming the field (not "Internal error." on PostgreSQL and MySQL after SQLite took it),
// and nothing is stored.
func TestGrantAndTokenFieldLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		gs := store.NewGrantService(db)
		long := strings.Repeat("é", 256)
		for name, g := range map[string]opsgate.Grant{
			"value":      {Command: "network", Subcommand: "*", Type: opsgate.GrantUser, Value: long},
			"name":       {Command: "network", Subcommand: "*", Type: opsgate.GrantUser, Value: "U1", Name: long},
			"command":    {Command: long, Subcommand: "*", Type: opsgate.GrantUser, Value: "U1"},
			"subcommand": {Command: "network", Subcommand: long, Type: opsgate.GrantUser, Value: "U1"},
			"platform":   {Command: "network", Subcommand: "*", Type: opsgate.GrantUser, Value: "U1", Platform: long},
			"nul":        {Command: "network", Subcommand: "*", Type: opsgate.GrantUser, Value: "U1\x00"},
			"utf8":       {Command: "network", Subcommand: "*", Type: opsgate.GrantUser, Value: "U1", Name: "bad \xff name"},
		} {
			err := gs.CreateGrant(ctx, &g)
			if opsgate.ErrorCode(err) != opsgate.EINVALID {
				t.Errorf("%s: want EINVALID, got %v", name, err)
			}
		}
		// 255 characters fit everywhere.
		ok := opsgate.Grant{Command: "network", Subcommand: "*", Type: opsgate.GrantUser, Value: strings.Repeat("é", 255), Name: strings.Repeat("n", 255)}
		if err := gs.CreateGrant(ctx, &ok); err != nil {
			t.Fatalf("255 characters: %v", err)
		}
		if got, err := gs.FindGrants(ctx, opsgate.GrantFilter{}); err != nil || len(got) != 1 || got[0].Value != ok.Value {
			t.Fatalf("stored grants: %v %v", got, err)
		}
		ts := store.NewTokenService(db)
		if _, err := ts.CreateToken(ctx, &opsgate.CommandToken{Platform: "mattermost", Comment: long}, ""); opsgate.ErrorCode(err) != opsgate.EINVALID {
			t.Errorf("long token comment: want EINVALID, got %v", err)
		}
		if _, err := ts.CreateToken(ctx, &opsgate.CommandToken{Platform: "mattermost"}, "xéééééééééééé"); err != nil {
			t.Errorf("non-ASCII token: %v", err)
		}
	})
}
