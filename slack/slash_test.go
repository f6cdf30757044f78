package slack

import (
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// slashFormCases are forms a slash command may carry, well formed or not.
var slashFormCases = []string{
	slashForm("U1", "/network", "status  “new york”").Encode(),
	"user_id=U1&channel_id=C1&command=%2Fwhoami",
	"user_id=U1&user_id=U2&channel_id=C1&command=/x&text=a+b%20c",      // the first value counts
	"user_id=&user_id=U2&channel_id=C1&command=/x",                     // even when empty
	"user%5Fid=U1&channel_id=C1&command=/x&&=&text",                    // escaped key, empty pairs
	"user_id=U1;channel_id=C1&command=/x",                              // semicolon: refused
	"user_id=U1&channel_id=C1&command=/x&text=100%",                    // bad escape in a field read
	"user_id=U1&channel_id=C1&command=/x&token=%zz",                    // ... and in one not read
	"user_id=U1&channel_id=C1&command=/x&user_id=%4",                   // ... and in a repeated one
	"user_id=U1&channel_id=C1&command=/x&ke%y=1",                       // ... and in a key
	"user_id=U1&channel_id=C1&command=/x&text=%E2%80%9Cq%E2%80%9D%2B1", // escapes that decode
	"", "&&&", "=", "user_id", "text=%41%4a%4A&user_id=U&channel_id=C&command=c",
	"user_id=U1&channel_id=C1&command=/x&" + strings.Repeat("a=1&", maxFormFields),
}

// A slash command's form is read as url.ParseQuery and Get read it: the same fields, and the
// same forms refused.
func TestSlashFormReadAsParseQuery(t *testing.T) {
	for _, form := range slashFormCases {
		checkSlashForm(t, form)
	}
}

func FuzzSlashForm(f *testing.F) {
	for _, form := range slashFormCases {
		f.Add(form)
	}
	f.Fuzz(checkSlashForm)
}

func checkSlashForm(t *testing.T, form string) {
	values, err := url.ParseQuery(form)
	var sc slack.SlashCommand
	ok := parseSlash(form, &sc)
	if ok != (err == nil) {
		t.Fatalf("%.80q: parsed %v, ParseQuery's error %v", form, ok, err)
	}
	if !ok {
		return
	}
	want := slack.SlashCommand{
		TeamID: values.Get("team_id"), TeamDomain: values.Get("team_domain"),
		EnterpriseID: values.Get("enterprise_id"), EnterpriseName: values.Get("enterprise_name"),
		ChannelID: values.Get("channel_id"), ChannelName: values.Get("channel_name"),
		UserID: values.Get("user_id"), UserName: values.Get("user_name"),
		Command: values.Get("command"), Text: values.Get("text"),
		ResponseURL: values.Get("response_url"), TriggerID: values.Get("trigger_id"), APIAppID: values.Get("api_app_id"),
	}
	if sc != want {
		t.Fatalf("%.80q:\n got %+v\nwant %+v", form, sc, want)
	}
}
