package main

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// token list and the audit log show at most 4 characters of any token.
func TestTokenPrefixInListAndAudit(t *testing.T) {
	dsn := sqliteDSN(t)
	const imported = "x0xb5hj5ga5tgexxfoqoxaqcyw"
	add := mustRun(t, dsn, "token", "add", "--platform", "mattermost", "--token", imported)
	mustRun(t, dsn, "token", "add", "--platform", "webhook")
	out := add + mustRun(t, dsn, "token", "list") + mustRun(t, dsn, "log", "audit", "--object", "token") +
		mustRun(t, dsn, "log", "audit", "--object", "token", "--json")
	for i := 0; i+5 <= len(imported); i++ {
		if strings.Contains(out, imported[i:i+5]) {
			t.Fatalf("5 characters of the token (%q) shown:\n%s", imported[i:i+5], out)
		}
	}
	if !strings.Contains(out, "x0xb") {
		t.Fatalf("the prefix x0xb is not shown:\n%s", out)
	}
	var list []struct{ Prefix string }
	if err := json.Unmarshal([]byte(mustRun(t, dsn, "token", "list", "--json")), &list); err != nil || len(list) != 2 {
		t.Fatalf("token list --json: %v %v", list, err)
	}
	for _, tok := range list {
		if n := utf8.RuneCountInString(tok.Prefix); n == 0 || n > 4 {
			t.Errorf("prefix %q", tok.Prefix)
		}
	}
}
