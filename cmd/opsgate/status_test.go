package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opsgate/opsgate/matrixfake"
	"github.com/opsgate/opsgate/webexfake"
)

// The status page says what each adapter knows without calling the platform: Webex webhooks that
// could not be registered (and why), which replica runs the Matrix sync loop, disabled platforms,
// and the version.
func TestStatusPageTellsPlatformHealth(t *testing.T) {
	dsn := sqliteDSN(t)
	const pw = "status page password"
	if r := runCLI(t, dsn, pw+"\n", "user", "add", "--name", "viewer", "--role", "viewer", "--password-stdin"); r.code != 0 {
		t.Fatalf("user add: %s", r.stderr)
	}
	hs := matrixfake.New("example.org")
	t.Cleanup(hs.Close)
	bot := hs.AddUser("opsgate", "syt_bot_token")
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"The server is down for maintenance."}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(broken.Close)
	env := []string{"OPSGATE_MATRIX_ENABLED=true", "OPSGATE_MATRIX_HOMESERVER=" + hs.URL, "OPSGATE_MATRIX_USER_ID=" + bot,
		"OPSGATE_MATRIX_ACCESS_TOKEN=syt_bot_token", "OPSGATE_WEBEX_ENABLED=true", "OPSGATE_WEBEX_TOKEN=" + webexfake.Token,
		"OPSGATE_WEBEX_WEBHOOK_SECRET=" + webexTestSecret, "OPSGATE_WEBEX_API_URL=" + broken.URL,
		"OPSGATE_WEBEX_PUBLIC_URL=https://opsgate.example.com/api/plugins/chatops/webex/"}
	env = append(env, sharedSQLite) // replicas on one SQLite file
	first, _ := startServer(t, dsn, env...)
	ui := uiLogin(t, first, "viewer", pw)
	var page string
	waitFor(t, "the first replica to run the sync loop", func() bool {
		_, page = ui.get("/ui/status")
		return strings.Contains(page, "the Matrix sync loop runs in this replica")
	})
	second, _ := startServer(t, dsn, env...)
	ui2 := uiLogin(t, second, "viewer", pw)
	var other string
	waitFor(t, "the webhooks refused", func() bool {
		_, other = ui2.get("/ui/status")
		return strings.Contains(other, "could not register the webhooks")
	})
	for _, want := range []string{"the Matrix sync loop runs in another replica (lease matrix-sync held by", "could not register the webhooks",
		"platforms disabled", "slack, mattermost, teams, discord, rocketchat, xmpp", "StackStorm", "disabled", "(devel)"} {
		if !strings.Contains(other, want) {
			t.Errorf("second replica's status page lacks %q", want)
		}
	}
	if !strings.Contains(other, `<td>platform webex</td><td><span class="bad">failing</span>`) {
		t.Errorf("webex not marked failing:\n%s", other)
	}
}
