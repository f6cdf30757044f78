package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/st2fake"
)

// newSt2 starts a fake StackStorm with a bot account, alice, and aliases.
func newSt2(t *testing.T) *st2fake.Server {
	t.Helper()
	s := st2fake.New()
	t.Cleanup(s.Close)
	s.HeartbeatInterval = 100 * time.Millisecond
	s.NotifyRoute = "opsgate"
	s.AddUser("bot", st2fake.User{Password: "botpw"})
	s.AddUser("alice", st2fake.User{Password: "alicepw"})
	s.AddAPIKey("alice", "alice-key")
	s.AddAlias(st2fake.Alias{Pack: "packs", Name: "pack_install", Description: "Install a pack.", ActionRef: "packs.install",
		Formats: []any{"pack install {{packs}}"},
		Ack:     map[string]any{"format": "Installing {{ execution.parameters.packs }}."},
		Result:  map[string]any{"format": "Installed {{ execution.parameters.packs }}{~}stdout: {{ execution.result.stdout }}"}})
	s.AddAlias(st2fake.Alias{Pack: "core", Name: "say_hi", Description: "Greets.", ActionRef: "core.echo", Formats: []any{"say hi"}})
	s.AddAlias(st2fake.Alias{Pack: "core", Name: "run_a", ActionRef: "core.local", Formats: []any{"run {{cmd}}"}})
	s.AddAlias(st2fake.Alias{Pack: "core", Name: "run_b", ActionRef: "core.remote", Formats: []any{"run {{cmd}} on {{hosts}}"}})
	return s
}

const testKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes, base64

func st2Config(t *testing.T, s *st2fake.Server, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`log_level: warn
stackstorm:
  enabled: true
  auth_url: %s
  api_url: %s
  stream_url: %s
  username: bot
  password: botpw
  heartbeat_timeout: 2s
  message_limits:
    terminal: 200
%s`, s.AuthURL(), s.APIURL(), s.StreamURL(), extra)
	p := filepath.Join(t.TempDir(), "opsgate.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// chat is a running `opsgate chat` fed line by line.
type chat struct {
	in  *io.PipeWriter
	out *syncBuffer
}

func startChat(t *testing.T, dsn, cfg string, args ...string) *chat {
	t.Helper()
	pr, pw := io.Pipe()
	c := &chat{in: pw, out: &syncBuffer{}}
	errb := &syncBuffer{}
	m := &Main{Stdin: pr, Stdout: c.out, Stderr: errb, Environ: []string{"OPSGATE_DATABASE=" + dsn}}
	done := make(chan int)
	go func() { done <- m.Run(context.Background(), append([]string{"--config", cfg, "chat"}, args...)) }()
	t.Cleanup(func() {
		pw.Close()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("chat exited %d: %s", code, errb.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("chat did not stop")
		}
	})
	return c
}

func (c *chat) say(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(c.in, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// waitOut waits until the chat output contains want, after the first `from` bytes.
func (c *chat) waitOut(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("chat output lacks %q:\n%s", want, c.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return c.out.String()
}

var st2Grants = [][]string{
	{"*", "*", "organization", "acme", "acme"}, {"*", "*", "channel", "*", "any"},
	{"st2", "pack_install", "user", "alice", "alice"}, {"st2", "run_a", "user", "alice", "alice"}, {"st2", "run_b", "user", "alice", "alice"},
	{"st2help", "*", "user", "alice", "alice"}, {"st2session", "*", "user", "alice", "alice"},
}

func TestStackStormChat(t *testing.T) {
	s := newSt2(t)
	dsn := sqliteDSN(t)
	addGrants(t, dsn, st2Grants)
	c := startChat(t, dsn, st2Config(t, s, ""), "--org", "acme", "--channel", "ops", "--user", "alice", "--user-name", "Alice")
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })

	c.say(t, "st2help --pack packs")
	c.waitOut(t, "`st2 pack install {{packs}}` - Install a pack.")

	// A matching alias: st2's ack, then the result announced on the stream into this channel.
	c.say(t, "st2 pack install “st2-slack”")
	c.waitOut(t, "Installing st2-slack. (details available at "+s.URL+"/#/history/")
	out := c.waitOut(t, "stdout: ok")
	if !strings.Contains(out, "[st2 -> #ops]\nInstalled st2-slack\nstdout: ok") {
		t.Fatalf("result announcement (pretext, then body):\n%s", out)
	}
	call := s.CallsTo("/api/v1/aliasexecution/match_and_execute")[0]
	if call.Body["source_channel"] != "terminal:ops" || call.Body["user"] != "terminal:alice" || call.Body["notification_route"] != "opsgate" {
		t.Fatalf("match_and_execute body: %v", call.Body)
	}

	c.say(t, "st2 make coffee")
	c.waitOut(t, "Command 'make coffee' matched no patterns")
	c.say(t, "st2 run uptime on web1")
	c.waitOut(t, "Command 'run uptime on web1' matched more than 1 pattern")
	// Grants apply per alias: alice may install packs but not say hi.
	c.say(t, "st2 say hi")
	c.waitOut(t, "not permitted by user alice (Alice)")
	if n := len(s.CallsTo("/api/v1/aliasexecution/match_and_execute")); n != 1 {
		t.Fatalf("executions = %d, want 1", n)
	}

	// A whisper goes to the user in private.
	s.Announce("opsgate", map[string]any{"channel": "terminal:ops", "user": "terminal:alice", "whisper": true, "message": "psst"})
	c.waitOut(t, "[st2 -> private to alice]\npsst")

	// An oversized message is split at the platform's limit (200 here), not truncated.
	long := strings.Repeat("0123456789 ", 60) + "END"
	s.Announce("opsgate", map[string]any{"channel": "terminal:ops", "message": long})
	out = c.waitOut(t, "END")
	if got := strings.Count(out, "0123456789"); got != 60 {
		t.Fatalf("split message lost text: %d of 60 words", got)
	}

	// The token expires and the stream drops: opsgate re-authenticates, reconnects, and nothing is posted twice.
	tokens := len(s.CallsTo("/auth/v1/tokens"))
	s.ExpireTokens()
	s.DropStreams()
	waitFor(t, "reconnect", func() bool { return s.Streams() == 1 })
	s.Announce("opsgate", map[string]any{"channel": "terminal:ops", "message": "after reconnect"})
	c.waitOut(t, "after reconnect")
	if len(s.CallsTo("/auth/v1/tokens")) <= tokens {
		t.Fatal("no new token after expiry")
	}
	s.Announce("opsgate", map[string]any{"channel": "terminal:ops", "user": "terminal:alice", "whisper": true, "message": "psst"})
	s.Announce("opsgate", map[string]any{"channel": "terminal:ops", "message": "last"})
	out = c.waitOut(t, "last")
	if n := strings.Count(out, "psst"); n != 1 {
		t.Fatalf("duplicate announcement posted %d times", n)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServerConfig runs `opsgate --config cfg serve` on addr.
func startServerConfig(t *testing.T, dsn, cfg, addr string, extraEnv ...string) string {
	t.Helper()
	base, _ := startServerArgs(t, dsn, []string{"--config", cfg}, append([]string{"OPSGATE_LISTEN=" + addr}, extraEnv...)...)
	return base
}

func postForm(t *testing.T, link string, form url.Values) (int, string) {
	t.Helper()
	u, _ := url.Parse(link)
	form.Set("uuid", u.Query().Get("uuid"))
	resp, err := http.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var linkRe = regexp.MustCompile(`http://\S+/stackstorm/login\?uuid=[0-9a-f-]+`)

func TestStackStormLoginFlow(t *testing.T) {
	s := newSt2(t)
	dsn := sqliteDSN(t)
	addGrants(t, dsn, st2Grants)
	addr := freePort(t)
	cfg := st2Config(t, s, fmt.Sprintf("  public_url: http://%s\n  encryption_key: %s\n  login_link_ttl: 2s\n", addr, testKey))
	startServerConfig(t, dsn, cfg, addr)
	dm := startChat(t, dsn, cfg, "--org", "acme", "--channel", "D1", "--direct", "--user", "alice", "--user-name", "Alice")

	newLink := func() string {
		before := len(linkRe.FindAllString(dm.out.String(), -1))
		dm.say(t, "st2session")
		waitFor(t, "link", func() bool { return len(linkRe.FindAllString(dm.out.String(), -1)) > before })
		all := linkRe.FindAllString(dm.out.String(), -1)
		return all[len(all)-1]
	}
	forms := map[string]func() url.Values{
		"password": func() url.Values {
			return url.Values{"method": {"password"}, "username": {"alice"}, "password": {"alicepw"}}
		},
		"token":   func() url.Values { return url.Values{"method": {"token"}, "token": {s.IssueToken("alice", time.Hour)}} },
		"api_key": func() url.Values { return url.Values{"method": {"api_key"}, "api_key": {"alice-key"}} },
	}
	for _, kind := range []string{"password", "token", "api_key"} {
		link := newLink()
		if code, page := get(t, link); code != 200 || !strings.Contains(page, "Alice") {
			t.Fatalf("%s: login page %d", kind, code)
		}
		if code, page := postForm(t, link, forms[kind]()); code != 200 || !strings.Contains(page, "logged in to StackStorm as alice") {
			t.Fatalf("%s: submit %d %s", kind, code, page)
		}
		// Reused link.
		if code, _ := postForm(t, link, forms[kind]()); code != http.StatusGone {
			t.Fatalf("%s: reused link answered %d", kind, code)
		}
		n := len(s.CallsTo("/api/v1/aliasexecution/match_and_execute"))
		dm.say(t, "st2 pack install x"+kind)
		dm.waitOut(t, "Installing x"+kind+".")
		calls := s.CallsTo("/api/v1/aliasexecution/match_and_execute")
		if len(calls) != n+1 || calls[n].User != "alice" {
			t.Fatalf("%s: command ran as %q, want alice", kind, calls[n].User)
		}
		dm.say(t, "st2session status")
		label := map[string]string{"password": "token", "token": "token", "api_key": "api key"}[kind]
		dm.waitOut(t, "run as `alice` ("+label+")")
		dm.say(t, "st2session end")
		dm.waitOut(t, "Your StackStorm credentials are deleted.")
	}
	// The stored credential is encrypted: the API key is not in the database file.
	raw, _ := os.ReadFile(strings.TrimPrefix(dsn, "sqlite://"))
	if strings.Contains(string(raw), "alice-key") {
		t.Fatal("API key stored in clear")
	}
	// An expired link.
	link := newLink()
	time.Sleep(2100 * time.Millisecond)
	if code, page := postForm(t, link, forms["api_key"]()); code != http.StatusGone || !strings.Contains(page, "expired") {
		t.Fatalf("expired link: %d", code)
	}
	if out := dm.out.String(); strings.Count(out, "Installed xpassword") != 1 {
		t.Fatalf("two replicas posted the same result:\n%s", out)
	}
}

func TestStackStormWebhook(t *testing.T) {
	s := newSt2(t)
	dsn := sqliteDSN(t)
	addr := freePort(t)
	cfg := st2Config(t, s, "  default_platform: testchat\n  webhook_rate: 1\n  webhook_burst: 2\n")
	var mu sync.Mutex
	var posted []string
	testChatTarget = func(_ context.Context, channel, user string, private bool) (opsgate.Dispatcher, error) {
		return dispatchFunc(func(m opsgate.Message) {
			mu.Lock()
			defer mu.Unlock()
			for _, b := range m.Blocks {
				posted = append(posted, fmt.Sprintf("%s|%s|%v|%s", channel, user, private, b.(opsgate.Text).Markdown))
			}
		}), nil
	}
	t.Cleanup(func() { testChatTarget = nil })
	base := startServerConfig(t, dsn, cfg, addr)
	tok := strings.TrimSpace(lastLine(mustRun(t, dsn, "token", "add", "--platform", "webhook", "--comment", "st2")))

	send := func(token, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, base+"/chatops/message", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	body := `{"channel": "C42", "message": "deployed", "user": "U1", "whisper": false}`
	if r := send("ogt_forged", body); r.StatusCode != 401 {
		t.Fatalf("forged webhook: %d", r.StatusCode)
	}
	if r := send(tok, body); r.StatusCode != 200 {
		t.Fatalf("webhook: %d", r.StatusCode)
	}
	mu.Lock()
	got := strings.Join(posted, ";")
	mu.Unlock()
	if got != "C42|U1|false|deployed" {
		t.Fatalf("posted %q", got)
	}
	send(tok, body)
	if r := send(tok, body); r.StatusCode != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("rate limit: %d", r.StatusCode)
	}
	// The stream connects in the background: health turns green once it has.
	waitFor(t, "stream health", func() bool {
		code, health := get(t, base+"/stackstorm/health")
		return code == 200 && strings.Contains(health, `"connected":true`)
	})
}

// testChatTarget, when set, is registered as platform "testchat" by the module below: a chat
// platform tests can read what was posted to.
var testChatTarget kit.Opener

func init() {
	registerModule(module{Name: "testchat", Order: 60, Setup: func(_ context.Context, m *Main) error {
		if testChatTarget != nil {
			m.Announce.Register("testchat", testChatTarget)
		}
		return nil
	}})
}

type dispatchFunc func(opsgate.Message)

func (f dispatchFunc) Send(_ context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	f(m)
	return "", nil
}
func (dispatchFunc) Delete(context.Context, opsgate.MessageRef) error { return nil }
func (dispatchFunc) Busy(context.Context) error                       { return nil }

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestStackStormDoctor(t *testing.T) {
	s := newSt2(t)
	dsn := sqliteDSN(t)
	cfg := st2Config(t, s, "")
	r := runCLI(t, dsn, "", "--config", cfg, "stackstorm", "doctor")
	for _, want := range []string{"ok    auth_url", "ok    credentials  authenticated as bot with token", "ok    api_url", "4 action aliases",
		"ok    stream_url", "ok    notify_rule", `pattern: "opsgate"`, "route=opsgate"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.code != 0 {
		t.Fatalf("doctor exit %d: %s", r.code, r.stderr)
	}
	// st2 without the rule for our route (the commonest misconfiguration): doctor fails and shows the rule.
	s.NotifyRoute = "hubot"
	r = runCLI(t, dsn, "", "--config", cfg, "stackstorm", "doctor")
	if r.code != 1 || !strings.Contains(r.stdout, `FAIL  notify_rule  no enabled notify rule for route "opsgate"; found chatops.notify (route "hubot")`) ||
		!strings.Contains(r.stdout, "name: \"notify-opsgate\"") {
		t.Fatalf("doctor without rule: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Wrong password.
	bad := st2Config(t, s, "")
	raw, _ := os.ReadFile(bad)
	os.WriteFile(bad, []byte(strings.Replace(string(raw), "password: botpw", "password: nope", 1)), 0o600)
	r = runCLI(t, dsn, "", "--config", bad, "stackstorm", "doctor")
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL  credentials  st2: status 401: Invalid or missing credentials") {
		t.Fatalf("doctor wrong password: %d\n%s", r.code, r.stdout)
	}
}

func TestStackStormConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for body, want := range map[string]string{
		"stackstorm:\n  enabled: true\n": "stackstorm.auth_url is required",
		"stackstorm:\n  enabled: true\n  auth_url: http://a/auth/v1\n  api_url: http://a/api/v1\n  stream_url: http://a/stream/v1\n":                                       "exactly one of username/password, token or api_key",
		"stackstorm:\n  enabled: true\n  auth_url: http://a/auth/v1\n  api_url: http://a/api/v1\n  stream_url: http://a/stream/v1\n  api_key: k\n  public_url: http://o\n": "stackstorm.encryption_key is required",
		"stackstorm:\n  enabled: true\n  auth_url: http://a/auth/v1\n  api_url: http://a/api/v1\n  stream_url: http://a/stream/v1\n  token: t\n  service_user: user\n":     "service_user needs",
	} {
		p := filepath.Join(dir, fmt.Sprintf("c%d.yaml", len(want)))
		os.WriteFile(p, []byte(body), 0o600)
		r := runCLI(t, sqliteDSN(t), "", "--config", p, "migrate")
		if r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("%q: exit %d %q, want %q", body, r.code, r.stderr, want)
		}
	}
}
