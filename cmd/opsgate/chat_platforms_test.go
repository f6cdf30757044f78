package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/access"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/mattermost"
	"github.com/opsgate/opsgate/pipeline"
	oslack "github.com/opsgate/opsgate/slack"
)

// testBotUser switches on the test commands below; no real deployment has this bot user id.
const testBotUser = "UOPSGATETEST"

func init() {
	registerModule(module{Name: "chat-platform-test-commands", Order: 60, Setup: func(ctx context.Context, m *Main) error {
		if m.Config.Slack.BotUserID != testBotUser {
			return nil
		}
		m.Pipeline.Register(&opsgate.Command{Name: "ping", Help: "pong", Run: func(ctx context.Context, inv *opsgate.Invocation) error {
			_, err := inv.Out.Send(ctx, opsgate.Textf("pong"))
			return err
		}})
		m.Pipeline.Register(&opsgate.Command{Name: "site", Help: "show a site",
			Params: []opsgate.Param{{Name: "site", Help: "a site", Choices: func(ctx context.Context, inv *opsgate.Invocation) ([]opsgate.Choice, error) {
				var c []opsgate.Choice
				for i := 1; i <= 150; i++ {
					c = append(c, opsgate.Choice{Label: fmt.Sprintf("Site %d", i), Value: fmt.Sprintf("site-%d", i)})
				}
				return c, nil
			}}},
			Run: func(ctx context.Context, inv *opsgate.Invocation) error {
				_, err := inv.Out.Send(ctx, opsgate.Textf("site %s is up", inv.Route.Params["site"]))
				return err
			}})
		return nil
	}})
}

// recorder is a fake chat service: it records every request and answers as the service would.
type recorder struct {
	mu    sync.Mutex
	calls []recorded
}

type recorded struct {
	Path string
	Form url.Values
	JSON map[string]any
}

func (r *recorder) record(req *http.Request) recorded {
	c := recorded{Path: req.URL.Path}
	b, _ := io.ReadAll(req.Body)
	if strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		json.Unmarshal(b, &c.JSON)
	} else {
		c.Form, _ = url.ParseQuery(string(b))
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
	return c
}

// wait returns the calls to path once there are n, or fails.
func (r *recorder) wait(t *testing.T, path string, n int) []recorded {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		var got []recorded
		r.mu.Lock()
		for _, c := range r.calls {
			if c.Path == path {
				got = append(got, c)
			}
		}
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
	}
	t.Fatalf("no %d calls to %s", n, path)
	return nil
}

func newFakeSlackAPI(t *testing.T, rec *recorder) *slacktest.Server {
	h := func(path, answer string) slacktest.Binder {
		return func(c slacktest.Customize) {
			c.Handle(path, func(w http.ResponseWriter, r *http.Request) {
				rec.record(r)
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, answer)
			})
		}
	}
	s := slacktest.NewTestServer(
		h("/chat.postMessage", `{"ok":true,"channel":"C1","ts":"1700000000.000100"}`),
		h("/chat.postEphemeral", `{"ok":true,"message_ts":"1700000000.000200"}`),
		h("/response/1", `{"ok":true}`),
	)
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

const e2eSecret = "e2e-signing-secret"

func slackPost(t *testing.T, base, path, body string) (int, string) {
	t.Helper()
	return slackPostAt(t, base, path, strconv.FormatInt(time.Now().Unix(), 10), body)
}

// slackPostAt posts body to path as Slack would, signed at ts.
func slackPostAt(t *testing.T, base, path, ts, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", oslack.Sign(e2eSecret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestChatPlatformsEndToEnd runs `opsgate serve` with Slack and Mattermost enabled against fakes of
// both services, through the real pipeline, grants and database.
func TestChatPlatformsEndToEnd(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{
		{"*", "*", "organization", "T1", "acme"}, {"*", "*", "channel", "C1", "ops"},
		{"ping", "*", "user", "U1", "alice"}, {"site", "*", "user", "U1", "alice"},
		{"*", "*", "organization", "team1", "acme"}, {"*", "*", "channel", "ch1", "town-square"},
		{"ping", "*", "user", "u1", "alice"}, {"site", "*", "user", "u1", "alice"},
	})
	mmToken := "x0xb5hj5ga5tge"
	mustRun(t, dsn, "token", "add", "--platform", "mattermost", "--token", mmToken, "--comment", "nautobot")

	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	mm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer mm-bot-token" {
			w.WriteHeader(401)
			io.WriteString(w, `{"id":"api.context.session_expired.app_error","message":"Invalid or expired session","status_code":401}`)
			return
		}
		w.WriteHeader(201)
		io.WriteString(w, `{"id":"p1"}`)
	}))
	t.Cleanup(mm.Close)

	base, _ := startServer(t, dsn,
		"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET="+e2eSecret, "OPSGATE_SLACK_BOT_TOKEN=xoxb-test",
		"OPSGATE_SLACK_API_URL="+fs.GetAPIURL(), "OPSGATE_SLACK_BOT_USER_ID="+testBotUser,
		"OPSGATE_MATTERMOST_ENABLED=true", "OPSGATE_MATTERMOST_URL="+mm.URL, "OPSGATE_MATTERMOST_API_TOKEN=mm-bot-token",
		"OPSGATE_DELETE_INPUT_ON_SUBMISSION=true")

	_, metrics := get(t, base+"/metrics")
	rejectedBefore := map[string]float64{}
	for _, series := range []string{`opsgate_requests_rejected_total{platform="slack",reason="bad_signature"}`,
		`opsgate_requests_rejected_total{platform="mattermost",reason="unknown_token"}`} {
		rejectedBefore[series] = metricValue(metrics, series)
	}

	slash := func(user, command string) url.Values {
		return url.Values{"team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"C1"}, "channel_name": {"ops"},
			"user_id": {user}, "user_name": {"alice"}, "command": {command}, "text": {""},
			"response_url": {"http://" + fs.ServerAddr + "/response/1"}, "trigger_id": {"1.2.3"}}
	}

	// Slack: a granted command runs and answers in the channel.
	if code, body := slackPost(t, base, oslack.PathSlashCommand, slash("U1", "/ping").Encode()); code != 200 || body != "" {
		t.Fatalf("slack ack %d %q", code, body)
	}
	if c := rec.wait(t, "/chat.postMessage", 1)[0]; !strings.Contains(c.Form.Get("blocks"), "pong") {
		t.Fatalf("slack reply = %v", c.Form)
	}
	// A user without a grant is told privately, with the ids an admin needs.
	slackPost(t, base, oslack.PathSlashCommand, slash("U2", "/ping").Encode())
	if c := rec.wait(t, "/chat.postEphemeral", 1)[0]; c.Form.Get("user") != "U2" || !strings.Contains(c.Form.Get("blocks"), "by user U2 (alice)") {
		t.Fatalf("slack denial = %v", c.Form)
	}
	// A missing parameter becomes a menu; picking re-runs through the access check.
	slackPost(t, base, oslack.PathSlashCommand, slash("U1", "/site").Encode())
	menu := rec.wait(t, "/chat.postEphemeral", 2)[1]
	var blocks []map[string]any
	json.Unmarshal([]byte(menu.Form.Get("blocks")), &blocks)
	var actionID, blockID string
	for _, b := range blocks {
		if b["type"] == "actions" {
			blockID = b["block_id"].(string)
			actionID = b["elements"].([]any)[0].(map[string]any)["action_id"].(string)
		}
	}
	payload, _ := json.Marshal(map[string]any{"type": "block_actions", "user": map[string]any{"id": "U1", "name": "alice"},
		"team": map[string]any{"id": "T1", "domain": "acme"}, "channel": map[string]any{"id": "C1", "name": "ops"},
		"response_url": "http://" + fs.ServerAddr + "/response/1", "trigger_id": "4.5.6",
		"actions": []any{map[string]any{"type": "static_select", "action_id": actionID, "block_id": blockID,
			"selected_option": map[string]any{"value": "site-5", "text": map[string]any{"type": "plain_text", "text": "Site 5"}}}}})
	if code, _ := slackPost(t, base, oslack.PathInteraction, url.Values{"payload": {string(payload)}}.Encode()); code != 200 {
		t.Fatal(code)
	}
	if c := rec.wait(t, "/chat.postMessage", 2)[1]; !strings.Contains(c.Form.Get("blocks"), "site site-5 is up") {
		t.Fatalf("menu answer result = %v", c.Form)
	}
	if c := rec.wait(t, "/response/1", 1)[0]; c.JSON["delete_original"] != true {
		t.Fatalf("prompt not deleted: %v", c.JSON)
	}
	// A forged request is refused and counted.
	req, _ := http.NewRequest("POST", base+oslack.PathSlashCommand, strings.NewReader(slash("U1", "/ping").Encode()))
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	req.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("forged slack request: %d", resp.StatusCode)
	}

	// Mattermost: token-authenticated slash command, reply through REST v4.
	mmPost := func(token string, form url.Values) int {
		req, _ := http.NewRequest("POST", base+mattermost.PathSlashCommand, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Token "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	mmForm := func(command string) url.Values {
		return url.Values{"channel_id": {"ch1"}, "channel_name": {"town-square"}, "command": {command}, "team_domain": {"acme"},
			"team_id": {"team1"}, "text": {""}, "user_id": {"u1"}, "user_name": {"alice"}, "trigger_id": {"t"}}
	}
	if code := mmPost(mmToken, mmForm("/ping")); code != 200 {
		t.Fatal(code)
	}
	if c := rec.wait(t, "/api/v4/posts", 1)[0]; c.JSON["message"] != "pong" || c.JSON["channel_id"] != "ch1" {
		t.Fatalf("mattermost reply = %v", c.JSON)
	}
	if code := mmPost("not-a-token", mmForm("/ping")); code != 401 {
		t.Fatalf("unknown mattermost token: %d", code)
	}
	mmPost(mmToken, mmForm("/site"))
	eph := rec.wait(t, "/api/v4/posts/ephemeral", 1)[0]
	post := eph.JSON["post"].(map[string]any)
	act := post["props"].(map[string]any)["attachments"].([]any)[0].(map[string]any)["actions"].([]any)[0].(map[string]any)
	integ := act["integration"].(map[string]any)
	if integ["url"] != base+mattermost.PathInteraction {
		t.Fatalf("integration url %v, want %s", integ["url"], base+mattermost.PathInteraction)
	}
	actx := integ["context"].(map[string]any)
	actx["selected_option"] = "site-7"
	b, _ := json.Marshal(map[string]any{"user_id": "u1", "channel_id": "ch1", "team_id": "team1", "post_id": "p0", "context": actx})
	resp, err := http.Post(integ["url"].(string), "application/json", bytes.NewReader(b))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("mattermost action: %v %v", resp, err)
	}
	resp.Body.Close()
	if c := rec.wait(t, "/api/v4/posts", 2)[1]; c.JSON["message"] != "site site-7 is up" {
		t.Fatalf("mattermost menu answer = %v", c.JSON)
	}

	// Both platforms count their refusals on one metric (compared with the value before this
	// test: the registry is the process's, shared with earlier runs).
	_, metrics = get(t, base+"/metrics")
	for series, before := range rejectedBefore {
		if got := metricValue(metrics, series); got != before+1 {
			t.Errorf("%s = %v, want %v", series, got, before+1)
		}
	}
}

// metricValue returns the value of one series in Prometheus text format (0 when absent).
func metricValue(metrics, series string) float64 {
	for _, line := range strings.Split(metrics, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// BenchmarkSlackSlashCommandAckPipeline is the ack path with the real pipeline: signature, form,
// Request, grant check and enqueue, through opsgate's HTTP server handler. The queued runs reply
// to a local fake Slack on the same core, so the figure includes that work too.
func BenchmarkSlackSlashCommandAckPipeline(b *testing.B) {
	dsn := "sqlite://" + b.TempDir() + "/bench.db"
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1.2"}`)
	}))
	defer fake.Close()
	env := []string{"OPSGATE_DATABASE=" + dsn, "OPSGATE_LOG_LEVEL=error"}
	for _, g := range [][]string{{"*", "*", "organization", "T1"}, {"*", "*", "channel", "C1"}, {"ping", "*", "user", "U012AB3CD"}} {
		var out bytes.Buffer
		cli := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Environ: env}
		if code := cli.Run(context.Background(), []string{"grant", "add", "--command", g[0], "--subcommand", g[1], "--type", g[2], "--value", g[3]}); code != 0 {
			b.Fatalf("grant add: %s", out.String())
		}
	}
	// The real program, as `opsgate serve` runs it; requests go straight to its HTTP handler.
	m := benchServe(b, append(env, "OPSGATE_LISTEN=127.0.0.1:0",
		"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET="+e2eSecret, "OPSGATE_SLACK_BOT_TOKEN=xoxb-b",
		"OPSGATE_SLACK_API_URL="+fake.URL+"/", "OPSGATE_SLACK_BOT_USER_ID="+testBotUser))
	body := []byte(url.Values{"team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"C1"}, "channel_name": {"ops"},
		"user_id": {"U012AB3CD"}, "user_name": {"alice"}, "command": {"/ping"}, "text": {""},
		"response_url": {"https://hooks.slack.com/commands/T1/1/x"}}.Encode() + "&trigger_id=1.2.")
	rd := bytes.NewReader(body)
	w := &benchWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := strconv.AppendInt(body, int64(i), 10) // each request Slack sends is a new one: a replay is refused
		rd.Reset(body)
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req := httptest.NewRequest("POST", oslack.PathSlashCommand, rd)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", oslack.Sign(e2eSecret, ts, body))
		w.code = 0
		m.HTTP.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatalf("ack %d", w.code)
		}
	}
}

type benchWriter struct {
	h    http.Header
	code int
}

func (w *benchWriter) Header() http.Header { return w.h }
func (w *benchWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = 200
	}
	return len(p), nil
}
func (w *benchWriter) WriteHeader(code int) { w.code = code }

// BenchmarkSlackSlashCommandAck is the ack path alone with the real pipeline: signature, form,
// Request, routing, grant check and enqueue. The command blocks until the benchmark ends so the
// queued runs (command log, replies) do not share the core with the measured path; the
// benchmark above measures the whole system instead.
func BenchmarkSlackSlashCommandAck(b *testing.B) {
	release := make(chan struct{})
	auth := access.New([]*opsgate.Grant{
		{ID: 1, Command: "*", Subcommand: "*", Type: opsgate.GrantOrganization, Value: "T1"},
		{ID: 2, Command: "*", Subcommand: "*", Type: opsgate.GrantChannel, Value: "C1"},
		{ID: 3, Command: "ping", Subcommand: "*", Type: opsgate.GrantUser, Value: "U012AB3CD"},
	})
	p := pipeline.New(pipeline.Config{Workers: 1, MaxQueued: b.N + 10}, auth, nil, nil)
	p.Register(&opsgate.Command{Name: "ping", Run: func(ctx context.Context, inv *opsgate.Invocation) error {
		<-release
		return nil
	}})
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	}))
	defer fake.Close()
	h := oslack.New(oslack.Options{
		SigningSecret: e2eSecret,
		Client:        slack.New("xoxb-b", slack.OptionAPIURL(fake.URL+"/")),
		Handle: func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) string {
			return p.Handle(ctx, req, out).Refused()
		},
		Callbacks: callback.New([]byte(e2eSecret), "slack"),
	})
	mux := http.NewServeMux()
	h.Register(mux)
	body := []byte(url.Values{"team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"C1"}, "channel_name": {"ops"},
		"user_id": {"U012AB3CD"}, "user_name": {"alice"}, "command": {"/ping"}, "text": {"now please"},
		"response_url": {"https://hooks.slack.com/commands/T1/1/x"}}.Encode() + "&trigger_id=1.2.")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	rd := bytes.NewReader(body)
	req := httptest.NewRequest("POST", oslack.PathSlashCommand, rd)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	w := &benchWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Each request Slack sends is signed anew (a replay is refused); signing is inside the figure.
		body := strconv.AppendInt(body, int64(i), 10)
		req.Header.Set("X-Slack-Signature", oslack.Sign(e2eSecret, ts, body))
		req.ContentLength = int64(len(body))
		rd.Reset(body)
		w.code = 0
		mux.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatalf("ack %d", w.code)
		}
	}
	b.StopTimer()
	close(release)
	p.Close(context.Background())
}

// count returns the calls to path so far.
func (r *recorder) count(path string) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var got []recorded
	for _, c := range r.calls {
		if c.Path == path {
			got = append(got, c)
		}
	}
	return got
}
