package teams_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/teams"
	"github.com/opsgate/opsgate/teamsfake"
)

func TestLookupMembersOfKnownConversations(t *testing.T) {
	cl, f, _ := newClient(t)
	ctx := context.Background()
	f.AddMember("19:ops@thread.tacv2", teamsfake.Member{ID: "29:1bob", Name: "Bob Jones", AADObjectID: "bbbb-0000", Email: "bob@contoso.com", UserPrincipalName: "bob.jones@contoso.com"})
	convs := []teams.ConversationReference{
		{ServiceURL: f.ServiceURL(), ConversationID: "19:gone@thread.tacv2"}, // the bot was removed: skipped
		{ServiceURL: f.ServiceURL(), ConversationID: teamsfake.ChannelConv},
		{ServiceURL: f.ServiceURL(), ConversationID: "19:ops@thread.tacv2"},
	}
	for _, tc := range []struct{ name, id, display string }{
		{"alice", teamsfake.UserAAD, "Alice <alice@contoso.com>"},
		{"BOB.JONES@contoso.com", "bbbb-0000", "Bob Jones <bob@contoso.com>"},
		{"Bob Jones", "bbbb-0000", "Bob Jones <bob@contoso.com>"},
	} {
		id, display, err := teams.Lookup(ctx, cl, convs, "user", tc.name)
		if err != nil || id != tc.id || display != tc.display {
			t.Errorf("Lookup(%q) = %q, %q, %v; want %q, %q", tc.name, id, display, err, tc.id, tc.display)
		}
	}
	for _, tc := range []struct {
		kind, name string
		convs      []teams.ConversationReference
		code, msg  string
	}{
		{"user", "carol", convs, opsgate.ENOTFOUND, `No member "carol" found; some conversations could not be read`},
		{"user", "carol", convs[1:], opsgate.ENOTFOUND, `No member "carol" in the Teams conversations the bot is in.`},
		{"user", "alice", nil, opsgate.ENOTFOUND, "No Teams conversation has talked to opsgate yet"},
		{"channel", "General", convs, opsgate.EINVALID, "Teams channels cannot be looked up by name"},
	} {
		_, _, err := teams.Lookup(ctx, cl, tc.convs, tc.kind, tc.name)
		if opsgate.ErrorCode(err) != tc.code || !strings.Contains(opsgate.ErrorMessage(err), tc.msg) {
			t.Errorf("Lookup(%s, %q): %v; want %s containing %q", tc.kind, tc.name, err, tc.code, tc.msg)
		}
	}
	// A reference whose service URL is not https (nor loopback) is never sent the token.
	_, _, err := teams.Lookup(ctx, cl, []teams.ConversationReference{{ServiceURL: "http://evil.example/", ConversationID: teamsfake.ChannelConv}}, "user", "alice")
	if opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
		t.Errorf("untrusted service URL: %v", err)
	}
}
