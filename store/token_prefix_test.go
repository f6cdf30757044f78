package store_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// Lists and the audit log show at most 4 characters of a token, never more than a quarter of it.
func TestTokenPrefixAtMostFourCharacters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewTokenService(db)
		for _, c := range []struct{ token, want string }{
			{"x0xb5hj5ga5tgexxfoqoxaqcyw", "x0xb"}, // Mattermost's 26 characters
			{"x0xb5hj5ga5tge", "x0x"},              // 14: a quarter is 3
			{"héllo-wörld-passphrase", "héll"},     // characters, not bytes: a cut é is not storable text
			{"", ""},                               // generated: checked below
		} {
			tok := &opsgate.CommandToken{Platform: "webhook"}
			plain, err := s.CreateToken(ctx, tok, c.token)
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			if c.token == "" {
				want = plain[len("ogt_"):][:4] // the public marker tells nothing apart
			}
			if tok.Prefix != want || utf8.RuneCountInString(tok.Prefix) > 4 {
				t.Errorf("token %q: prefix %q, want %q", plain, tok.Prefix, want)
			}
		}
		list, _ := s.FindTokens(ctx, "")
		audit, _ := store.NewAuditService(db).FindAuditEntries(ctx, "token", 10)
		for i, tok := range list {
			if utf8.RuneCountInString(tok.Prefix) > 4 {
				t.Errorf("listed prefix %q", tok.Prefix)
			}
			if doc := audit[len(audit)-1-i].After; !strings.Contains(doc, `"prefix":"`+tok.Prefix+`"`) {
				t.Errorf("audit %s, want prefix %q", doc, tok.Prefix)
			}
		}
	})
}

// Tokens stored with the old 6-character prefixes, and the audit rows that recorded them, are cut
// to 4 by the migration.
func TestTokenPrefixMigration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.SQL.ExecContext(ctx, db.Rebind(q), args...); err != nil {
				t.Fatal(err)
			}
		}
		exec(`INSERT INTO command_tokens (platform, comment, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			"mattermost", "old", "x0xb5h", strings.Repeat("a", 64), 1)
		exec(`INSERT INTO command_tokens (platform, comment, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			"webhook", "old generated", "ogt_Ab", strings.Repeat("b", 64), 1)
		exec(`INSERT INTO audit_log (at, actor, action, object, object_id, before_doc, after_doc) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			1, "cli:root", "create", "token", "1", nil, `{"id":1,"platform":"mattermost","comment":"old","prefix":"x0xb5h","created_at":"2026-01-01T00:00:00Z"}`)
		exec(`INSERT INTO audit_log (at, actor, action, object, object_id, before_doc, after_doc) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			2, "cli:root", "delete", "token", "9", `{"id":9,"platform":"webhook","prefix":"ogt_Zz","created_at":"2026-01-01T00:00:00Z"}`, nil)
		exec(`INSERT INTO audit_log (at, actor, action, object, object_id, before_doc, after_doc) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			3, "cli:root", "create", "grant", "1", nil, `{"prefix":"abcdefgh"}`)
		exec(`DELETE FROM schema_migrations WHERE version = ?`, "0006_token_prefix")
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		list, _ := store.NewTokenService(db).FindTokens(ctx, "")
		if len(list) != 2 || list[0].Prefix != "x0xb" || list[1].Prefix != "Ab" {
			t.Fatalf("prefixes after the migration: %q %q, want x0xb and Ab", list[0].Prefix, list[1].Prefix)
		}
		entries, _ := store.NewAuditService(db).FindAuditEntries(ctx, "", 10)
		var docs []string
		for _, e := range entries {
			docs = append(docs, e.Before+e.After)
		}
		want := []string{`{"prefix":"abcdefgh"}`, // not a token: untouched
			`{"id":9,"platform":"webhook","prefix":"Zz","created_at":"2026-01-01T00:00:00Z"}`,
			`{"id":1,"platform":"mattermost","comment":"old","prefix":"x0xb","created_at":"2026-01-01T00:00:00Z"}`}
		if strings.Join(docs, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit after the migration:\n%s\nwant\n%s", strings.Join(docs, "\n"), strings.Join(want, "\n"))
		}
	})
}
