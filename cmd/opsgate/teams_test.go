package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit/kittest"
	"github.com/opsgate/opsgate/teams"
	"github.com/opsgate/opsgate/teamsfake"
)

// teamsTestApp switches on the test commands below; no Azure Bot has this app id.
const (
	teamsTestApp    = "0e2e0e2e-0000-4000-8000-0000000e2e00"
	teamsTestTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
)

func init() {
	registerModule(module{Name: "teams-test-commands", Order: 60, Setup: func(ctx context.Context, m *Main) error {
		if m.Config.Teams.AppID != teamsTestApp {
			return nil
		}
		roles := func(context.Context, *opsgate.Invocation) ([]opsgate.Choice, error) {
			return []opsgate.Choice{{Label: "Leaf", Value: "leaf"}, {Label: "Spine", Value: "spine"}}, nil
		}
		m.Pipeline.Register(&opsgate.Command{Name: "site", Help: "show a site",
			Params: []opsgate.Param{{Name: "site", Help: "a site", Choices: func(context.Context, *opsgate.Invocation) ([]opsgate.Choice, error) {
				return kittest.Sites, nil
			}}},
			Run: func(ctx context.Context, inv *opsgate.Invocation) error {
				_, err := inv.Out.Send(ctx, opsgate.Textf("site %s is up", inv.Route.Params["site"]))
				return err
			}})
		m.Pipeline.Register(&opsgate.Command{Name: "device", Help: "add a device",
			Params: []opsgate.Param{{Name: "name", Help: "Name"}, {Name: "role", Help: "Role", Choices: roles}},
			Run: func(ctx context.Context, inv *opsgate.Invocation) error {
				_, err := inv.Out.Send(ctx, opsgate.Textf("device %s is a %s", inv.Route.Params["name"], inv.Route.Params["role"]))
				return err
			}})
		return nil
	}})
}

// teamsE2E is a running `opsgate serve` with Teams enabled against the Bot Framework stand-in.
type teamsE2E struct {
	t    *testing.T
	f    *teamsfake.Server
	base string
	dsn  string
	logs *syncBuffer
	n    int // activity ids
}

func startTeams(t *testing.T) *teamsE2E {
	t.Helper()
	f := teamsfake.New(teamsTestApp, "e2e-app-password", teamsTestTenant)
	t.Cleanup(f.Close)
	aliases, _ := filepath.Abs(filepath.Join("..", "..", "examples", "aliases"))
	st2 := newSt2(t)
	cfg := st2Config(t, st2, fmt.Sprintf(`aliases:
  dir: %s
teams:
  enabled: true
  app_id: %s
  app_password: e2e-app-password
  tenant_id: %s
  openid_url: %s
  token_url: %s
`, aliases, teamsTestApp, teamsTestTenant, f.OpenIDURL(), f.TokenURL()))
	dsn := sqliteDSN(t)
	for _, g := range [][]string{{"organization", teamsTestTenant}, {"channel", teamsfake.ChannelConv}, {"user", teamsfake.UserAAD}} {
		mustRun(t, dsn, "grant", "add", "--platform", "teams", "--command", "*", "--type", g[0], "--value", g[1])
	}
	base, logs := startServerArgs(t, dsn, []string{"--config", cfg}, "OPSGATE_LISTEN=127.0.0.1:0")
	e := &teamsE2E{t: t, f: f, base: base, dsn: dsn, logs: logs}
	t.Cleanup(func() {
		for _, p := range f.Posted() {
			if strings.Contains(string(p.Raw), "e2e-app-password") {
				t.Errorf("the app password was posted: %s", p.Raw)
			}
		}
		if strings.Contains(logs.String(), "e2e-app-password") {
			t.Errorf("the app password was logged")
		}
	})
	return e
}

// message is a channel message mentioning the bot, with a fresh activity id.
func (e *teamsE2E) message(text string) map[string]any {
	a := e.f.Message(text)
	e.n++
	a["id"] = strconv.Itoa(1800000000000 + e.n)
	return a
}

// submit is the activity Teams sends when Action.Submit is pressed on the card posted as posted.
func (e *teamsE2E) submit(posted teamsfake.Posted, data map[string]any) map[string]any {
	a := e.message("")
	delete(a, "text")
	delete(a, "entities")
	a["value"] = data
	a["replyToId"] = e.f.IDOf(posted)
	conv := a["conversation"].(map[string]any)
	conv["id"] = posted.ConversationID
	if strings.HasPrefix(posted.ConversationID, "a:") {
		conv["conversationType"] = "personal"
	}
	return a
}

func (e *teamsE2E) post(a map[string]any, forges ...teamsfake.Forge) (int, string) {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(e.f.Request(e.base+teams.PathMessages, teamsfake.Marshal(a), forges...))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitPosted returns the first activity posted after the first skip ones whose JSON holds every
// one of want, or fails.
func (e *teamsE2E) waitPosted(skip int, want ...string) teamsfake.Posted {
	e.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		posted := e.f.Posted()
	next:
		for _, p := range posted[min(skip, len(posted)):] {
			for _, w := range want {
				if !strings.Contains(string(p.Raw), w) {
					continue next
				}
			}
			return p
		}
	}
	e.t.Fatalf("nothing posted with %q; posted: %v", want, e.f.Posted())
	return teamsfake.Posted{}
}

// submitData returns the data of the card's Action.Submit titled title.
func submitData(t *testing.T, p teamsfake.Posted, title string) map[string]any {
	t.Helper()
	var found map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "Action.Submit" && v["title"] == title {
				found = v["data"].(map[string]any)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(p.Activity)
	if found == nil {
		t.Fatalf("no %q action in %s", title, p.Raw)
	}
	return found
}

// webhook posts body to POST /chatops/message with the webhook token tok.
func (e *teamsE2E) webhook(tok, body string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.base+"/chatops/message", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *teamsE2E) rejected(reason string) float64 {
	_, body := get(e.t, e.base+"/metrics")
	return metricValue(body, `opsgate_requests_rejected_total{platform="teams",reason="`+reason+`"}`)
}

func TestTeamsEndToEnd(t *testing.T) {
	e := startTeams(t)
	f := e.f

	// whoami (exempt from grants) answers privately, in a 1:1 conversation the bot opens.
	if code, _ := e.post(e.message("whoami")); code != 200 {
		t.Fatalf("whoami: %d", code)
	}
	p := e.waitPosted(0, "Organization", teamsTestTenant, teamsfake.ChannelConv, teamsfake.UserAAD)
	if !strings.HasPrefix(p.ConversationID, "a:1personal") {
		t.Fatalf("whoami went to %q, not a 1:1 conversation", p.ConversationID)
	}
	if c := f.Conversations(); len(c) != 1 || !strings.Contains(fmt.Sprint(c[0]["members"]), teamsfake.UserID) {
		t.Fatalf("1:1 conversation created with %v", c)
	}

	// The same activity delivered again runs once.
	dup := e.message("uptime")
	if code, _ := e.post(dup); code != 200 {
		t.Fatalf("uptime: %d", code)
	}
	up := e.waitPosted(0, "load average")
	if up.ConversationID != teamsfake.ChannelConv+";messageid=1700000000001" {
		t.Fatalf("alias output went to %q, not the thread", up.ConversationID)
	}
	before := e.rejected("duplicate")
	if code, _ := e.post(dup); code != 200 || e.rejected("duplicate") != before+1 {
		t.Fatalf("redelivered activity: %d, duplicates counted %v", code, e.rejected("duplicate"))
	}

	// A menu answered through the card: the answer runs in the channel's thread, the card is
	// closed, and the same Submit pressed again runs nothing.
	n := len(f.Posted())
	e.post(e.message("site"))
	menu := e.waitPosted(n, "Input.ChoiceSet", "Next... (50 more)")
	data := submitData(t, menu, "Send")
	data["ogChoice"] = "site-7"
	n = len(f.Posted())
	if code, _ := e.post(e.submit(menu, data)); code != 200 {
		t.Fatalf("menu answer: %d", code)
	}
	if got := e.waitPosted(n, "site site-7 is up"); !strings.HasPrefix(got.ConversationID, teamsfake.ChannelConv) {
		t.Fatalf("menu answer's output went to %q", got.ConversationID)
	}
	waitFor(t, "the answered menu closed", func() bool {
		u := f.Updated()
		return len(u) == 1 && u[0].Activity["id"] == f.IDOf(menu) && strings.Contains(fmt.Sprint(u[0].Activity["text"]), "chose `site-7`")
	})
	n, before = len(f.Posted()), e.rejected("replayed_callback")
	e.post(e.submit(menu, data))
	e.waitPosted(n, "already answered")
	if e.rejected("replayed_callback") != before+1 {
		t.Fatalf("replayed answer not counted")
	}

	// A dialog: two missing parameters are one form.
	n = len(f.Posted())
	e.post(e.message("device"))
	form := e.waitPosted(n, "Input.Text", "Input.ChoiceSet", "ogField1")
	data = submitData(t, form, "Submit")
	data["ogField0"], data["ogField1"] = "leaf01", "spine"
	n = len(f.Posted())
	if code, _ := e.post(e.submit(form, data)); code != 200 {
		t.Fatalf("dialog answer: %d", code)
	}
	e.waitPosted(n, "device leaf01 is a spine")

	// A card token opsgate did not sign is refused.
	data["ogToken"] = "forged"
	before = e.rejected("forged_callback")
	if code, _ := e.post(e.submit(form, data)); code != 401 || e.rejected("forged_callback") != before+1 {
		t.Fatalf("forged card token: %d", code)
	}

	// A StackStorm-style announcement through the webhook reaches the channel, and a whisper the
	// person (by Entra object id) in their 1:1 conversation.
	tok := strings.TrimSpace(lastLine(mustRun(t, e.dsn, "token", "add", "--platform", "webhook")))
	for _, body := range []string{
		`{"channel": "teams:` + teamsfake.ChannelConv + `", "message": "deploy 42 done"}`,
		`{"channel": "teams:` + teamsfake.ChannelConv + `", "user": "` + teamsfake.UserAAD + `", "whisper": true, "message": "your token expires soon"}`,
	} {
		if code, answer := e.webhook(tok, body); code/100 != 2 {
			t.Fatalf("webhook %s: %d %s", body, code, answer)
		}
	}
	if p := e.waitPosted(0, "deploy 42 done"); p.ConversationID != teamsfake.ChannelConv {
		t.Fatalf("announcement went to %q", p.ConversationID)
	}
	if p := e.waitPosted(0, "your token expires soon"); !strings.HasPrefix(p.ConversationID, "a:1personal") {
		t.Fatalf("whisper went to %q", p.ConversationID)
	}
	// A channel the bot never heard from is the caller's mistake, said in one line.
	if code, answer := e.webhook(tok, `{"channel": "teams:19:other@thread.tacv2", "message": "x"}`); code != 400 || !strings.Contains(answer, "has not talked to opsgate yet") {
		t.Fatalf("announcement to an unknown conversation: %d %s", code, answer)
	}
}

// Every forgery is refused with 401 or 403 and counted; none reaches the pipeline.
func TestTeamsForgeriesRefused(t *testing.T) {
	e := startTeams(t)
	f := e.f
	hour := time.Hour
	cases := []struct {
		name   string
		change func(map[string]any)
		forges []teamsfake.Forge
		status int
		reason string
	}{
		{"unsigned", nil, []teamsfake.Forge{teamsfake.Unsigned()}, 401, "unsigned"},
		{"signed with another key", nil, []teamsfake.Forge{teamsfake.WrongKey()}, 403, "bad_signature"},
		{"wrong audience", nil, []teamsfake.Forge{teamsfake.WithAudience("someone-elses-bot")}, 403, "wrong_audience"},
		{"wrong issuer", nil, []teamsfake.Forge{teamsfake.WithIssuer("https://sts.windows.net/evil/")}, 403, "wrong_issuer"},
		{"expired", nil, []teamsfake.Forge{teamsfake.WithExpiry(time.Now().Add(-hour))}, 403, "expired"},
		{"service URL mismatch", func(a map[string]any) { a["serviceUrl"] = "https://attacker.example/amer/" }, nil, 403, "service_url_mismatch"},
		{"algorithm confusion", nil, []teamsfake.Forge{teamsfake.HMACWithPublicKey()}, 403, "bad_algorithm"},
	}
	for _, tc := range cases {
		a := e.message("uptime")
		if tc.change != nil {
			tc.change(a)
		}
		before := e.rejected(tc.reason)
		if code, body := e.post(a, tc.forges...); code != tc.status || e.rejected(tc.reason) != before+1 || strings.Count(body, "\n") != 1 {
			t.Errorf("%s: %d %q, %s counted %v", tc.name, code, body, tc.reason, e.rejected(tc.reason))
		}
	}
	// A new signing key not endorsed for Teams: refetched once for its new key id, then refused.
	f.RotateKey()
	f.SetEndorsements([]string{"webchat"})
	before := e.rejected("missing_endorsement")
	if code, _ := e.post(e.message("uptime")); code != 403 || e.rejected("missing_endorsement") != before+1 {
		t.Errorf("missing endorsement: %d", code)
	}
	// A key id nobody published.
	before = e.rejected("unknown_key")
	if code, _ := e.post(e.message("uptime"), teamsfake.UnknownKey()); code != 403 || e.rejected("unknown_key") != before+1 {
		t.Errorf("unknown key: %d", code)
	}
	// Nothing ran: the command log is empty, and no token was ever fetched for a reply.
	if out := mustRun(t, e.dsn, "log", "commands"); strings.Contains(out, "uptime") {
		t.Fatalf("a forged activity ran a command:\n%s", out)
	}
	if n := f.TokenRequests(); n != 0 || len(f.Posted()) != 0 {
		t.Fatalf("forgeries made %d token requests and %d posts", n, len(f.Posted()))
	}
}

// BenchmarkTeamsActivityAck is the ack path of a genuine activity through `opsgate serve`'s HTTP
// handler: body, verification with a cached key, the cross-replica claim of the activity id in
// the database (SQLite here), the stored conversation reference (unchanged, so not rewritten),
// and the hand-off to the real pipeline. The queued whoami runs reply to the stand-in on the
// same core, so the figure includes that work too.
func BenchmarkTeamsActivityAck(b *testing.B) {
	f := teamsfake.New(teamsTestApp, "e2e-app-password", teamsTestTenant)
	defer f.Close()
	m := benchServe(b, []string{
		"OPSGATE_DATABASE=sqlite://" + b.TempDir() + "/bench.db", "OPSGATE_LOG_LEVEL=error", "OPSGATE_LISTEN=127.0.0.1:0",
		"OPSGATE_TEAMS_ENABLED=true", "OPSGATE_TEAMS_APP_ID=" + teamsTestApp, "OPSGATE_TEAMS_APP_PASSWORD=e2e-app-password",
		"OPSGATE_TEAMS_TENANT_ID=" + teamsTestTenant, "OPSGATE_TEAMS_OPENID_URL=" + f.OpenIDURL(), "OPSGATE_TEAMS_TOKEN_URL=" + f.TokenURL()})
	a := f.Message("whoami")
	auth := f.Token(f.ServiceURL())
	w := &benchWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a["id"] = strconv.Itoa(i) // each activity the Bot Connector sends is a new one: a redelivery runs nothing
		req := httptest.NewRequest(http.MethodPost, teams.PathMessages, strings.NewReader(string(teamsfake.Marshal(a))))
		req.Header.Set("Authorization", auth)
		w.code = 0
		m.HTTP.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatalf("ack %d", w.code)
		}
	}
}
