package webex_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/webex"
	"github.com/opsgate/opsgate/webexfake"
)

func TestLookupPeopleAndSpaces(t *testing.T) {
	f := webexfake.New(t)
	alice := f.AddPerson("Alice Martin", "alice@example.com")
	f.AddPerson("Alicia Keys", "alicia@example.com")
	bob := f.AddPerson("Bob", "bob@example.com")
	f.SetPageSize(2) // the spaces come in pages, followed by their Link header
	for _, title := range []string{"Ops", "Dev", "Sales"} {
		f.NamedRoom(title)
	}
	netops := f.NamedRoom("Network Operations")
	c := &webex.Client{APIURL: f.URL, Token: webexfake.Token}
	ctx := context.Background()

	for _, tc := range []struct{ kind, name, id, display string }{
		{"user", "alice@example.com", alice.ID, "Alice Martin <alice@example.com>"},
		{"user", "ALICE martin", alice.ID, "Alice Martin <alice@example.com>"},
		{"user", "bo", bob.ID, "Bob <bob@example.com>"}, // the only name starting so
		{"channel", "network operations", netops, "Network Operations"},
	} {
		id, display, err := c.Lookup(ctx, tc.kind, tc.name)
		if err != nil || id != tc.id || display != tc.display {
			t.Errorf("Lookup(%s, %q) = %q, %q, %v; want %q, %q", tc.kind, tc.name, id, display, err, tc.id, tc.display)
		}
	}
	for _, tc := range []struct{ kind, name, code, msg string }{
		{"user", "ali", opsgate.EINVALID, `"ali" matches 2 people (Alice Martin <alice@example.com>, Alicia Keys <alicia@example.com>)`},
		{"user", "carol@example.com", opsgate.ENOTFOUND, `Webex has no person "carol@example.com"`},
		{"channel", "Marketing", opsgate.ENOTFOUND, `Webex has no space titled "Marketing" that the bot is in.`},
		{"user", " ", opsgate.EINVALID, "Type a name to look up."},
	} {
		_, _, err := c.Lookup(ctx, tc.kind, tc.name)
		if opsgate.ErrorCode(err) != tc.code || !strings.Contains(opsgate.ErrorMessage(err), tc.msg) {
			t.Errorf("Lookup(%s, %q): %v; want %s containing %q", tc.kind, tc.name, err, tc.code, tc.msg)
		}
	}
	bad := &webex.Client{APIURL: f.URL, Token: "not-the-token", Attempts: 1}
	_, _, err := bad.Lookup(ctx, "user", "Bob")
	if msg := opsgate.ErrorMessage(err); !strings.Contains(msg, "Webex's GET /v1/people failed: 401") || strings.Contains(msg, "not-the-token") {
		t.Errorf("wrong token: %q", msg)
	}
}
