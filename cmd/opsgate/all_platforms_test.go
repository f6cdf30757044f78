package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsgate/opsgate/discord"
	"github.com/opsgate/opsgate/discordfake"
	"github.com/opsgate/opsgate/matrixfake"
	"github.com/opsgate/opsgate/rocketchat"
	"github.com/opsgate/opsgate/rocketchatfake"
	oslack "github.com/opsgate/opsgate/slack"
	"github.com/opsgate/opsgate/teamsfake"
	"github.com/opsgate/opsgate/webex"
	"github.com/opsgate/opsgate/webexfake"
)

// uiClient is a logged-in web UI session, sending what a browser sends on same-origin forms.
type uiClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func uiLogin(t *testing.T, base, name, password string) *uiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u := &uiClient{t: t, base: base, c: &http.Client{Jar: jar}}
	if code, body := u.post("/ui/login", url.Values{"username": {name}, "password": {password}, "next": {"/ui/grants"}}); code != 200 || !strings.Contains(body, name+" (") {
		t.Fatalf("log in as %s: %d", name, code)
	}
	return u
}

func (u *uiClient) do(req *http.Request) (int, string) {
	u.t.Helper()
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := u.c.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (u *uiClient) get(path string) (int, string) {
	req, _ := http.NewRequest("GET", u.base+path, nil)
	return u.do(req)
}

func (u *uiClient) post(path string, form url.Values) (int, string) {
	req, _ := http.NewRequest("POST", u.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return u.do(req)
}

// One `opsgate serve` with every platform enabled at once (Errbot needs a process per back-end):
// whoami answers on each, a StackStorm announcement reaches each, and the status page tells each
// platform's health.
func TestAllPlatformsInOneServe(t *testing.T) {
	xmppSrv, xbot, ops, dsn := xmppSetUp(t) // skips without Prosody (required with CI=true)
	s := newSt2(t)
	const uiPassword = "all platforms password"
	if r := runCLI(t, dsn, uiPassword+"\n", "user", "add", "--name", "admin", "--role", "admin", "--password-stdin"); r.code != 0 {
		t.Fatalf("user add: %s", r.stderr)
	}
	mmToken := "x0xb5hj5ga5tge"
	mustRun(t, dsn, "token", "add", "--platform", "mattermost", "--token", mmToken)
	rcHook := strings.TrimSpace(lastLine(mustRun(t, dsn, "token", "add", "--platform", "rocketchat")))

	// Stand-ins, as each platform's own test uses them.
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	mm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		io.WriteString(w, `{"id":"p1"}`)
	}))
	t.Cleanup(mm.Close)
	tf := teamsfake.New(teamsTestApp, "e2e-app-password", teamsTestTenant)
	t.Cleanup(tf.Close)
	wf := webexfake.New(t)
	wAlice := wf.AddPerson("Alice", "alice@example.com")
	wRoom := wf.GroupRoom()
	dc := discordfake.New("app1", "bot-token")
	t.Cleanup(dc.Close)
	rc := rocketchatfake.New("botid", "bot-auth")
	t.Cleanup(rc.Close)
	hs := matrixfake.New("example.org")
	t.Cleanup(hs.Close)
	mbot, malice := hs.AddUser("opsgate", "syt_bot_token"), hs.AddUser("alice", "syt_alice_token")

	addr := freePort(t)
	aliases, _ := filepath.Abs("../../examples/aliases")
	cfg := st2Config(t, s, fmt.Sprintf(`aliases:
  dir: %s
slack:
  enabled: true
  signing_secret: %s
  bot_token: xoxb-test
  api_url: %s
  bot_user_id: %s
mattermost:
  enabled: true
  url: %s
  api_token: mm-bot-token
teams:
  enabled: true
  app_id: %s
  app_password: e2e-app-password
  tenant_id: %s
  openid_url: %s
  token_url: %s
webex:
  enabled: true
  token: %s
  webhook_secret: %s
  api_url: %s
  public_url: http://%s%s
discord:
  enabled: true
  application_id: app1
  public_key: %s
  bot_token: bot-token
  api_url: %s
  guild_id: G1
rocketchat:
  enabled: true
  url: %s
  user_id: botid
  auth_token: bot-auth
matrix:
  enabled: true
  homeserver: %s
  user_id: "%s"
  access_token: syt_bot_token
  auto_join: true
`, aliases, e2eSecret, fs.GetAPIURL(), testBotUser, mm.URL, teamsTestApp, teamsTestTenant, tf.OpenIDURL(), tf.TokenURL(),
		webexfake.Token, webexTestSecret, wf.URL, addr, webex.Path, dc.PublicKeyHex(), dc.APIURL(), rc.URL, hs.URL, mbot)+
		xmppConfig(xmppSrv, xbot, ops))
	base := startServerConfig(t, dsn, cfg, addr)
	waitFor(t, "the StackStorm stream", func() bool { return s.Streams() == 1 })
	waitFor(t, "the Webex webhooks", func() bool { return len(wf.Webhooks()) == 2 })
	waitFor(t, "the Discord commands", func() bool { cmds, _ := dc.Commands("G1"); return len(cmds) > 0 })

	// whoami on each platform (it needs no grant), and where each answered.
	slackForm := url.Values{"team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"C1"}, "channel_name": {"ops"},
		"user_id": {"USLACK1"}, "user_name": {"alice"}, "command": {"/whoami"}, "text": {""},
		"response_url": {"http://" + fs.ServerAddr + "/response/1"}, "trigger_id": {"1.2.3"}}
	if code, _ := slackPost(t, base, oslack.PathSlashCommand, slackForm.Encode()); code != 200 {
		t.Fatalf("slack whoami: %d", code)
	}
	waitFor(t, "Slack's whoami", func() bool { return rec.holds("USLACK1") })

	mmReq, _ := http.NewRequest("POST", base+"/api/plugins/chatops/mattermost/slash_command/", strings.NewReader(url.Values{
		"channel_id": {"ch1"}, "channel_name": {"town-square"}, "command": {"/whoami"}, "team_domain": {"acme"}, "team_id": {"team1"},
		"text": {""}, "user_id": {"umm1"}, "user_name": {"alice"}, "trigger_id": {"t"}}.Encode()))
	mmReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	mmReq.Header.Set("Authorization", "Token "+mmToken)
	if resp, err := http.DefaultClient.Do(mmReq); err != nil || resp.StatusCode != 200 {
		t.Fatalf("mattermost whoami: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	waitFor(t, "Mattermost's whoami", func() bool { return rec.holds("umm1") })

	te := &teamsE2E{t: t, f: tf, base: base, dsn: dsn}
	if code, _ := te.post(te.message("whoami")); code != 200 {
		t.Fatalf("teams whoami: %d", code)
	}
	te.waitPosted(0, "Organization", teamsTestTenant, teamsfake.UserAAD)

	n := len(wf.Posted())
	if d, err := wf.Fire(context.Background(), "messages", "created", wAlice.ID, webexfake.MessageData(wf.Say(wRoom, wAlice, "whoami"))); err != nil || len(d) != 1 || d[0].Status != 200 {
		t.Fatalf("webex whoami: %+v %v", d, err)
	}
	waitPosted(t, wf, n, "Webex's whoami", hasText(wAlice.ID))

	in := dc.Command(discordfake.Who{Guild: "G1", Channel: "C1", UserID: "111", UserName: "alice"}, "whoami", "")
	code, resp, err := dc.Interact(base+discord.PathInteractions, in)
	if err != nil || code != 200 || !strings.Contains(discordAnswer(t, dc, in, resp), "111 (alice)") {
		t.Fatalf("discord whoami: %d %v %v", code, resp, err)
	}

	rcMsg := rocketchatfake.Message{Token: rcHook, ChannelID: "GENERAL", ChannelName: "general", UserID: "aliceid", UserName: "alice", TriggerWord: "!", Text: "!whoami"}
	if code, body, err := rc.Outgoing(base+rocketchat.PathOutgoing, "msg-1", rcMsg); err != nil || code != 200 {
		t.Fatalf("rocketchat whoami: %d %s %v", code, body, err)
	}
	rcPosted := func(room, want string) func() bool {
		return func() bool {
			for _, p := range rc.Posted() {
				if p.Room == room && strings.Contains(p.Text, want) {
					return true
				}
			}
			return false
		}
	}
	waitFor(t, "Rocket.Chat's whoami", rcPosted("dm-alice", "aliceid (alice)"))

	xalice := xmppSrv.Connect(t, "alice@localhost", "alice-pass-1")
	xalice.Join(ops, "alice")
	xalice.WaitOnline(ops + "/opsbot")
	xalice.Say(ops, "!whoami")
	xalice.Expect(ops+"/opsbot", "alice@localhost")

	mroom := hs.As("syt_alice_token").CreateRoom("ops", mbot)
	waitFor(t, "the Matrix bot to join", func() bool { return hs.Membership(mroom, mbot) == "join" })
	hs.As("syt_alice_token").Say(mroom, "!whoami")
	waitFor(t, "Matrix's whoami", func() bool {
		for _, r := range hs.Rooms(malice) {
			for _, ev := range hs.Events(r) {
				if b, _ := ev.Content["body"].(string); ev.Sender == mbot && strings.Contains(b, malice) {
					return true
				}
			}
		}
		return false
	})

	ui := uiLogin(t, base, "admin", uiPassword)
	if code, page := ui.post("/ui/chat", url.Values{"text": {"whoami"}}); code != 200 || !strings.Contains(page, "webchat") {
		t.Fatalf("web chat whoami: %d\n%s", code, page)
	}

	// One StackStorm announcement per platform, each reaching its channel.
	for _, ch := range []string{"slack:C1", "mattermost:ch1", "teams:" + teamsfake.ChannelConv, "webex:" + wRoom, "discord:C1",
		"rocketchat:GENERAL", "xmpp:" + ops, "matrix:" + mroom, "web:webchat"} {
		s.Announce("opsgate", map[string]any{"message": "announced to " + ch, "channel": ch, "whisper": false})
	}
	waitFor(t, "the Slack announcement", func() bool { return rec.holds("announced to slack:C1") })
	waitFor(t, "the Mattermost announcement", func() bool { return rec.holds("announced to mattermost:ch1") })
	if p := te.waitPosted(0, "announced to teams:"); p.ConversationID != teamsfake.ChannelConv {
		t.Errorf("teams announcement went to %q", p.ConversationID)
	}
	if m := waitPosted(t, wf, n, "the Webex announcement", hasText("announced to webex:")); m.RoomID != wRoom {
		t.Errorf("webex announcement went to %+v", m)
	}
	waitFor(t, "the Discord announcement", func() bool {
		for _, p := range dc.Posted() {
			if p.Kind == "channel" && p.Where == "C1" && strings.Contains(p.Content, "announced to discord:C1") {
				return true
			}
		}
		return false
	})
	waitFor(t, "the Rocket.Chat announcement", rcPosted("GENERAL", "announced to rocketchat:GENERAL"))
	xalice.Expect(ops+"/opsbot", "announced to xmpp:")
	matrixNotices(t, hs, mbot, mroom, "announced to matrix:")
	waitFor(t, "the web chat announcement", func() bool {
		_, page := ui.get("/ui/chat")
		return strings.Contains(page, "announced to web:webchat")
	})

	// Look up value from name, on Webex (people, spaces) and Teams (members of the conversations
	// the bot heard from: the channel whoami came from).
	wSpace := wf.NamedRoom("Network Operations")
	for _, l := range []struct{ platform, kind, name, id string }{
		{"webex", "user", "alice@example.com", wAlice.ID}, {"webex", "channel", "network operations", wSpace},
		{"teams", "user", "alice@contoso.com", teamsfake.UserAAD}, {"slack", "channel", "#general", ""},
	} {
		q := url.Values{"lookup_platform": {l.platform}, "lookup_kind": {l.kind}, "lookup_name": {l.name}}
		_, page := ui.get("/ui/grants?" + q.Encode())
		if l.id != "" && !strings.Contains(page, `<code id="lookup-result">`+l.id+`</code>`) {
			t.Errorf("look up %s %s %q: no %s on the page", l.platform, l.kind, l.name, l.id)
		}
		if l.id == "" && strings.Contains(page, "is not available for platform") {
			t.Errorf("look up on %s is not offered", l.platform)
		}
	}

	// The status page tells each platform's health without calling the platforms.
	code, page := ui.get("/ui/status")
	if code != 200 {
		t.Fatalf("status page: %d", code)
	}
	for _, want := range []string{"platform slack", "platform mattermost", "platform teams", "platform webex", "webhooks deliver to http://" + addr,
		"platform discord", "platform rocketchat", "platform xmpp", "the XMPP connection runs in this replica", "platform matrix",
		"the Matrix sync loop runs in this replica", "platform web chat", "StackStorm stream", "connected, listening for st2.announcement__opsgate; ", "StackStorm doctor: auth_url",
		"StackStorm doctor: stream_url"} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if strings.Contains(page, "platforms disabled") || strings.Contains(page, "failing") && !strings.Contains(page, "notify_rule") {
		t.Errorf("status page with every platform up:\n%s", page)
	}
}

// holds reports whether any recorded request's form or JSON mentions s.
func (r *recorder) holds(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.calls {
		if strings.Contains(c.Form.Encode(), url.QueryEscape(s)) || strings.Contains(fmt.Sprint(c.JSON), s) {
			return true
		}
	}
	return false
}
