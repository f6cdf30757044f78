package teams_test

import (
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/teams"
	"github.com/opsgate/opsgate/teamsfake"
)

func parse(t *testing.T, a map[string]any) *teams.Activity {
	t.Helper()
	act, err := teams.ParseActivity(teamsfake.Marshal(a))
	if err != nil {
		t.Fatal(err)
	}
	return act
}

func TestRequestIdentity(t *testing.T) {
	f, _ := newFake(t)
	r, err := teams.Request(parse(t, f.Message("whoami")))
	if err != nil {
		t.Fatal(err)
	}
	want := opsgate.Request{Platform: "teams", OrgID: tenant, OrgName: "Ops", ChannelID: teamsfake.ChannelConv, ChannelName: "General",
		UserID: teamsfake.UserAAD, UserName: "Alice", ThreadID: teamsfake.ChannelConv + ";messageid=1700000000001", Text: "whoami",
		ID: "teams-activity:1700000000001"} // the activity id: the queue stores and runs it once
	if *r != want {
		t.Fatalf("got  %+v\nwant %+v", *r, want)
	}

	dm := f.Message("help")
	dm["conversation"] = map[string]any{"id": teamsfake.PersonalConv, "conversationType": "personal", "tenantId": tenant}
	dm["text"], dm["entities"] = "help", nil
	delete(dm, "channelData")
	r, err = teams.Request(parse(t, dm))
	if err != nil || !r.Direct || r.OrgID != tenant || r.ChannelID != teamsfake.PersonalConv || r.ThreadID != "" || r.Text != "help" {
		t.Fatalf("personal chat: %+v %v", r, err)
	}

	anon := f.Message("x")
	anon["from"] = map[string]any{"id": "29:1guest"}
	if _, err := teams.Request(parse(t, anon)); opsgate.ErrorCode(err) != opsgate.EINVALID {
		t.Fatalf("no aadObjectId: %v", err)
	}
}

func TestParseActivityRefusesIncomplete(t *testing.T) {
	for _, body := range []string{`not json`, `{"type":"message"}`, `{"type":"message","serviceUrl":"https://x/","conversation":{}}`} {
		if _, err := teams.ParseActivity([]byte(body)); opsgate.ErrorCode(err) != opsgate.EINVALID {
			t.Errorf("%s: %v", body, err)
		}
	}
}

func TestStripMentions(t *testing.T) {
	f, _ := newFake(t)
	bot := map[string]any{"id": teamsfake.BotID + appID, "name": "opsgate"}
	cases := []struct {
		text     string
		entities []any
		want     string
	}{
		{"<at>opsgate</at> whoami", []any{map[string]any{"type": "mention", "text": "<at>opsgate</at>", "mentioned": bot}}, "whoami"},
		{"please <at>opsgate</at>&nbsp;grant list\n", []any{map[string]any{"type": "mention", "text": "<at>opsgate</at>", "mentioned": bot}}, "please grant list"},
		{"<at>opsgate</at> ping <at>Bob Smith</at>", []any{
			map[string]any{"type": "mention", "text": "<at>opsgate</at>", "mentioned": bot},
			map[string]any{"type": "mention", "text": "<at>Bob Smith</at>", "mentioned": map[string]any{"id": "29:bob", "name": "Bob Smith"}},
			map[string]any{"type": "clientInfo", "locale": "en-US"},
		}, "ping Bob Smith"},
		{"<at>opsgate</at> <at>opsgate</at> help", nil, "help"},
		{"deploy web", nil, "deploy web"},
	}
	for _, tc := range cases {
		a := f.Message("")
		a["text"], a["entities"] = tc.text, tc.entities
		if got := teams.StripMentions(parse(t, a)); got != tc.want {
			t.Errorf("StripMentions(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestDecodeSubmission(t *testing.T) {
	f, _ := newFake(t)
	a := f.Message("")
	a["text"] = ""
	a["value"] = map[string]any{"ogToken": "tok", "ogChoice": "web-01"}
	s, ok, err := teams.DecodeSubmission(parse(t, a))
	if err != nil || !ok || s.Token != "tok" || s.Value != "web-01" {
		t.Fatalf("menu: %+v %v %v", s, ok, err)
	}
	a["value"] = map[string]any{"ogToken": "tok", "ogFields": 3, "ogField0": "a", "ogField2": "c"}
	s, _, _ = teams.DecodeSubmission(parse(t, a))
	if len(s.Fields) != 3 || s.Fields[0] != "a" || s.Fields[1] != "" || s.Fields[2] != "c" {
		t.Fatalf("dialog fields %q", s.Fields)
	}
	a["value"] = map[string]any{"something": "else"}
	if _, _, err := teams.DecodeSubmission(parse(t, a)); opsgate.ErrorCode(err) != opsgate.EINVALID {
		t.Fatalf("foreign card: %v", err)
	}
	if _, ok, err := teams.DecodeSubmission(parse(t, f.Message("hi"))); ok || err != nil {
		t.Fatal("ordinary message taken for a submission")
	}
}

func TestReferenceForProactiveMessages(t *testing.T) {
	f, _ := newFake(t)
	r := teams.Reference(parse(t, f.Message("x")))
	if r.ServiceURL != f.ServiceURL() || r.ConversationID != teamsfake.ChannelConv+";messageid=1700000000001" || r.TenantID != tenant || r.BotID != teamsfake.BotID+appID {
		t.Fatalf("%+v", r)
	}
}
