package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
)

// An expired grant is marked in `grant list`, and `access check --explain` names it as the reason.
func TestExpiredGrantListedAndExplained(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "*", "any"}, {"*", "*", "channel", "*", "any"}})
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	db.Now = func() time.Time { return created }
	expires := created.Add(time.Hour)
	g := &opsgate.Grant{Command: "dns", Subcommand: "flush", Type: opsgate.GrantUser, Value: "U1", ExpiresAt: &expires}
	if err := store.NewGrantService(db).CreateGrant(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	db.Close()

	out := mustRun(t, dsn, "grant", "list")
	if !strings.Contains(out, expires.Format(time.RFC3339)+" (expired)") || strings.Count(out, "expired") != 1 {
		t.Errorf("grant list:\n%s", out)
	}
	if js := mustRun(t, dsn, "grant", "list", "--json"); strings.Count(js, `"expired": true`) != 1 {
		t.Errorf("grant list --json:\n%s", js)
	}
	r := runCLI(t, dsn, "", "access", "check", "--org", "T", "--channel", "C", "--user", "U1", "--explain", "dns", "flush")
	if r.code != 1 || !strings.Contains(r.stdout, "grant 3 (command dns, subcommand flush, value U1) matches but expired at "+expires.Format(time.RFC3339)) {
		t.Errorf("explain: exit %d\n%s", r.code, r.stdout)
	}
}
