package store_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

func TestGrants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := opsgate.NewContextWithActor(context.Background(), "cli:alice")
		s := store.NewGrantService(db)
		exp := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
		g := &opsgate.Grant{Command: "network", Subcommand: "redeploy", Type: opsgate.GrantUser, Name: "admin1", Value: "U2049K991", Platform: "Slack", ExpiresAt: &exp}
		if err := s.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		if g.ID == 0 || g.Platform != "slack" {
			t.Fatalf("grant not stored as expected: %+v", g)
		}
		dup := *g
		if err := s.CreateGrant(ctx, &dup); opsgate.ErrorCode(err) != opsgate.ECONFLICT {
			t.Fatalf("duplicate grant: want conflict, got %v", err)
		}
		bad := &opsgate.Grant{Command: "*", Subcommand: "status", Type: opsgate.GrantUser, Value: "*"}
		if err := s.CreateGrant(ctx, bad); opsgate.ErrorCode(err) != opsgate.EINVALID || !strings.Contains(opsgate.ErrorMessage(err), "all subcommands") {
			t.Fatalf("* with subcommand: want invalid, got %v", err)
		}
		got, err := s.FindGrants(ctx, opsgate.GrantFilter{Type: opsgate.GrantUser})
		if err != nil || len(got) != 1 {
			t.Fatalf("find: %v %v", got, err)
		}
		if got[0].Value != "U2049K991" || got[0].ExpiresAt == nil || !got[0].ExpiresAt.Equal(exp) || got[0].Name != "admin1" {
			t.Fatalf("round trip lost data: %+v", got[0])
		}
		if err := s.DeleteGrant(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteGrant(ctx, g.ID); opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
			t.Fatalf("second delete: want not found, got %v", err)
		}
		audit, err := store.NewAuditService(db).FindAuditEntries(ctx, "grant", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(audit) != 2 || audit[0].Action != "delete" || audit[1].Action != "create" || audit[0].Actor != "cli:alice" ||
			!strings.Contains(audit[0].Before, "U2049K991") || audit[0].After != "" || !strings.Contains(audit[1].After, "redeploy") {
			t.Fatalf("audit log: %+v", audit)
		}
	})
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewTokenService(db)
		plain, err := s.CreateToken(ctx, &opsgate.CommandToken{Platform: "mattermost", Comment: "nautobot"}, "x0xb5hj5ga5tge")
		if err != nil || plain != "x0xb5hj5ga5tge" {
			t.Fatalf("import: %q %v", plain, err)
		}
		gen, err := s.CreateToken(ctx, &opsgate.CommandToken{Platform: "mattermost", Comment: "clear"}, "")
		if err != nil || !strings.HasPrefix(gen, "ogt_") || len(gen) < 30 {
			t.Fatalf("generate: %q %v", gen, err)
		}
		if _, err := s.CreateToken(ctx, &opsgate.CommandToken{Platform: "mattermost"}, "x0xb5hj5ga5tge"); opsgate.ErrorCode(err) != opsgate.ECONFLICT {
			t.Fatalf("duplicate token: %v", err)
		}
		list, _ := s.FindTokens(ctx, "mattermost")
		if len(list) != 2 || list[0].Prefix != "x0x" || list[0].Hash == "x0xb5hj5ga5tge" {
			t.Fatalf("stored tokens: %+v", list[0])
		}
		var raw int
		db.SQL.QueryRow(db.Rebind(`SELECT COUNT(*) FROM command_tokens WHERE hash = ? OR prefix = ?`), "x0xb5hj5ga5tge", "x0xb5hj5ga5tge").Scan(&raw)
		if raw != 0 {
			t.Fatal("plain token stored in the database")
		}
		if tok, err := s.VerifyToken(ctx, "mattermost", gen); err != nil || tok.Comment != "clear" {
			t.Fatalf("verify: %v %v", tok, err)
		}
		for _, c := range []struct{ platform, token string }{{"mattermost", "wrong-token"}, {"webhook", gen}, {"mattermost", ""}} {
			if _, err := s.VerifyToken(ctx, c.platform, c.token); opsgate.ErrorCode(err) != opsgate.EUNAUTHORIZED {
				t.Fatalf("verify %v: want unauthorized, got %v", c, err)
			}
		}
		if err := s.DeleteToken(ctx, list[1].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.VerifyToken(ctx, "mattermost", gen); err == nil {
			t.Fatal("deleted token still verifies")
		}
		audit, _ := store.NewAuditService(db).FindAuditEntries(ctx, "token", 10)
		if len(audit) != 3 {
			t.Fatalf("want 3 audit entries, got %d", len(audit))
		}
		for _, a := range audit {
			if strings.Contains(a.Before+a.After, gen) || strings.Contains(a.Before+a.After, "x0xb5hj5ga5tge") {
				t.Fatalf("audit holds a plain token: %+v", a)
			}
		}
	})
}

func TestCommandLogAndMigrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewCommandLogService(db)
		start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		e := &opsgate.CommandLogEntry{Start: start, Runtime: 1500 * time.Microsecond, Platform: "slack", UserID: "U1", UserName: "ann",
			Command: "network", Subcommand: "status", Params: map[string]string{"site": "nyc"}, Status: opsgate.StatusSucceeded, Details: strings.Repeat("x", 70000)}
		if err := s.CreateCommandLogEntry(ctx, e); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindCommandLogEntries(ctx, 5)
		if err != nil || len(got) != 1 {
			t.Fatal(got, err)
		}
		if !got[0].Start.Equal(start) || got[0].Runtime != e.Runtime || got[0].Params["site"] != "nyc" || len(got[0].Details) != 70000 {
			t.Fatalf("round trip: %+v", got[0])
		}
		// Migrating again is a no-op and keeps the data.
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.FindCommandLogEntries(ctx, 5); len(got) != 1 {
			t.Fatal("data lost after second migrate")
		}
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for dsn, want := range map[string]string{
		"nonsense":                            "must start with",
		"oracle://x":                          "not supported",
		"sqlite://":                           "needs a file path",
		"postgres://u:hunter2@127.0.0.1:1/db": "Cannot reach database",
	} {
		_, err := store.Open(ctx, dsn)
		if err == nil || !strings.Contains(opsgate.ErrorMessage(err), want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: got %v, want %q without the password", dsn, err, want)
		}
	}
}

// Concurrent writers share transactions (and statements) but each gets the id of its own row,
// and nothing is lost.
func TestCommandLogGroupCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.NewCommandLogService(db)
		const n = 300
		entries := make([]*opsgate.CommandLogEntry, n)
		var wg sync.WaitGroup
		for i := range entries {
			e := &opsgate.CommandLogEntry{Start: time.UnixMicro(int64(i)).UTC(), Runtime: time.Duration(i) * time.Microsecond, Platform: "slack",
				UserID: "U" + strconv.Itoa(i), Command: "ping", Params: map[string]string{"i": strconv.Itoa(i)}, Status: "succeeded",
				Details: strings.Repeat("d", i)}
			entries[i] = e
			wg.Go(func() {
				if err := s.CreateCommandLogEntry(context.Background(), e); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := s.FindCommandLogEntries(context.Background(), 1000)
		if err != nil || len(got) != n {
			t.Fatalf("stored %d of %d entries: %v", len(got), n, err)
		}
		stored := map[int64]*opsgate.CommandLogEntry{}
		for _, e := range got {
			stored[e.ID] = e
		}
		for i, e := range entries {
			g := stored[e.ID]
			if g == nil || g.UserID != e.UserID || g.Params["i"] != strconv.Itoa(i) || !g.Start.Equal(e.Start) || g.Runtime != e.Runtime || g.Details != e.Details {
				t.Fatalf("entry %d got id %d, which holds %+v", i, e.ID, g)
			}
		}
	})
}

func TestClaim(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		claim := func(scope, key string, at time.Time) bool {
			t.Helper()
			ok, err := db.Claim(ctx, scope, key, at, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !claim("slack-event", "Ev1", t0) {
			t.Fatal("first claim refused")
		}
		if claim("slack-event", "Ev1", t0.Add(time.Minute)) {
			t.Fatal("second claim within the window granted")
		}
		if !claim("other-scope", "Ev1", t0) {
			t.Fatal("scopes must not collide")
		}
		if !claim("slack-event", "Ev1", t0.Add(61*time.Minute)) {
			t.Fatal("claim after the window refused")
		}
		// Released (claimed, then refused before running): the next claim wins, once.
		if err := db.Unclaim(ctx, "slack-event", "Ev1"); err != nil {
			t.Fatal(err)
		}
		if !claim("slack-event", "Ev1", t0.Add(62*time.Minute)) || claim("slack-event", "Ev1", t0.Add(63*time.Minute)) {
			t.Fatal("a released key is claimed once again")
		}
		// Many replicas racing for one key: exactly one wins.
		wins := make(chan bool, 20)
		for i := 0; i < 20; i++ {
			go func() {
				ok, err := db.Claim(ctx, "race", "Ev2", t0, time.Hour)
				wins <- ok && err == nil
			}()
		}
		n := 0
		for i := 0; i < 20; i++ {
			if <-wins {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d of 20 racing claims won, want 1", n)
		}
	})
}

func TestGrantExpiryMustBeInTheFuture(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	past := time.Now().Add(-time.Hour)
	err := store.NewGrantService(db).CreateGrant(context.Background(), &opsgate.Grant{Command: "dns", Subcommand: "*", Type: opsgate.GrantUser, Value: "U1", ExpiresAt: &past})
	if opsgate.ErrorCode(err) != opsgate.EINVALID || !strings.Contains(opsgate.ErrorMessage(err), "is not in the future") {
		t.Fatalf("past expiry: %v", err)
	}
}
