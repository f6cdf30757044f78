package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// result is what a CLI run printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the real Main with args against dsn, as a user at a shell would.
func runCLI(t *testing.T, dsn, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Environ: []string{"OPSGATE_DATABASE=" + dsn, "OPSGATE_LOG_LEVEL=warn"}}
	code := m.Run(context.Background(), args)
	return result{code, out.String(), errb.String()}
}

// sharedSQLite lets several serve processes use one SQLite file (database_shared), as the tests
// of replicas do; without it the second waits for the first to stop.
const sharedSQLite = "OPSGATE_DATABASE_SHARED=true"

func sqliteDSN(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "opsgate.db") }

func mustRun(t *testing.T, dsn string, args ...string) string {
	t.Helper()
	r := runCLI(t, dsn, "", args...)
	if r.code != 0 {
		t.Fatalf("opsgate %v: exit %d: %s%s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// seedTable3 is the seed's third example: network redeploy only for three admins in devops.
var seedTable3 = [][]string{
	{"*", "*", "organization", "T202B88NN", "my-org"},
	{"jokes", "*", "channel", "*", "any"}, {"jokes", "*", "user", "*", "any"},
	{"network", "*", "channel", "C3030I566", "devops"},
	{"network", "history", "user", "*", "any"},
	{"network", "redeploy", "user", "U2049K991", "admin1"}, {"network", "redeploy", "user", "U2039K725", "admin2"},
	{"network", "redeploy", "user", "U7924K784", "admin3"},
	{"network", "status", "user", "*", "any"},
	{"weather", "*", "channel", "*", "any"}, {"weather", "*", "user", "*", "any"},
}

func addGrants(t *testing.T, dsn string, rows [][]string) {
	for _, g := range rows {
		mustRun(t, dsn, "grant", "add", "--command", g[0], "--subcommand", g[1], "--type", g[2], "--value", g[3], "--name", g[4])
	}
}

func TestGrantAndAccessCLI(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres, store.MySQL} {
		t.Run(dialect, func(t *testing.T) {
			dsn := storetest.DSN(t, dialect)
			addGrants(t, dsn, seedTable3)

			var listed []map[string]any
			if err := json.Unmarshal([]byte(mustRun(t, dsn, "grant", "list", "--json")), &listed); err != nil || len(listed) != len(seedTable3) {
				t.Fatalf("grant list --json: %v %v", listed, err)
			}
			check := func(org, channel, user string, cmd ...string) result {
				args := append([]string{"access", "check", "--org", org, "--channel", channel, "--user", user, "--user-name", "pat"}, cmd...)
				return runCLI(t, dsn, "", args...)
			}
			if r := check("T202B88NN", "C3030I566", "U2049K991", "network", "redeploy"); r.code != 0 || r.stdout != "allowed\n" {
				t.Fatalf("admin1 redeploy: %+v", r)
			}
			r := check("T202B88NN", "C3030I566", "U1111", "network", "redeploy")
			if r.code != 1 || r.stdout != "denied: Access to this bot and/or command is not permitted by user U1111 (pat), ask your administrator to define an appropriate Access Grant\n" {
				t.Fatalf("other user redeploy: %+v", r)
			}
			r = runCLI(t, dsn, "", "access", "check", "--org", "T202B88NN", "--channel", "C1", "--user", "U1111", "--explain", "network", "status")
			if r.code != 1 || !strings.Contains(r.stdout, "organization allowed by grant 1") ||
				!strings.Contains(r.stdout, "opsgate grant add --command network --subcommand status --type channel --value C1") {
				t.Fatalf("explain: %+v", r)
			}
			if r := check("T202B88NN", "C1", "U1111", "jokes"); r.code != 0 {
				t.Fatalf("jokes anywhere: %+v", r)
			}
			if r := runCLI(t, dsn, "", "access", "check", "network"); r.code != 2 || !strings.Contains(r.stderr, "--org, --channel and --user") {
				t.Fatalf("bad usage: %+v", r)
			}

			// Bad and duplicate grants are refused and nothing stored is lost.
			if r := runCLI(t, dsn, "", "grant", "add", "--command", "*", "--subcommand", "status", "--type", "user", "--value", "*"); r.code != 2 ||
				!strings.Contains(r.stderr, "must also be for all subcommands") {
				t.Fatalf("* with subcommand: %+v", r)
			}
			if r := runCLI(t, dsn, "", "grant", "add", "--command", "jokes", "--type", "user", "--value", "*"); r.code != 1 ||
				!strings.Contains(r.stderr, "already exists") {
				t.Fatalf("duplicate: %+v", r)
			}
			if r := runCLI(t, dsn, "", "grant", "add", "--command", "jokes", "--type", "team", "--value", "*"); r.code != 2 {
				t.Fatalf("bad type: %+v", r)
			}
			if r := runCLI(t, dsn, "", "grant", "delete", "999"); r.code != 1 || !strings.Contains(r.stderr, "Grant 999 does not exist.") {
				t.Fatalf("delete unknown: %+v", r)
			}
			if r := runCLI(t, dsn, "", "grant", "delete", "abc"); r.code != 2 {
				t.Fatalf("delete non-number: %+v", r)
			}
			mustRun(t, dsn, "grant", "delete", "6")
			if r := check("T202B88NN", "C3030I566", "U2049K991", "network", "redeploy"); r.code != 1 {
				t.Fatalf("deleted grant still allows: %+v", r)
			}
			if out := mustRun(t, dsn, "grant", "list"); strings.Count(out, "\n") != len(seedTable3) { // header + rows - 1 deleted
				t.Fatalf("grant list after delete:\n%s", out)
			}
			audit := mustRun(t, dsn, "log", "audit", "--object", "grant", "--limit", "1")
			if !strings.Contains(audit, "delete") || !strings.Contains(audit, "U2049K991") {
				t.Fatalf("audit log misses the delete: %s", audit)
			}
		})
	}
}

func TestTokenCLI(t *testing.T) {
	dsn := sqliteDSN(t)
	out := mustRun(t, dsn, "token", "add", "--platform", "mattermost", "--comment", "nautobot")
	tok := regexp.MustCompile(`ogt_\S+`).FindString(out)
	if tok == "" {
		t.Fatalf("token not printed: %q", out)
	}
	mustRun(t, dsn, "token", "add", "--platform", "mattermost", "--comment", "clear", "--token", "x7g7ag9ohkafbe")
	list := mustRun(t, dsn, "token", "list")
	if strings.Contains(list, tok) || strings.Contains(list, "x7g7ag9ohkafbe") || strings.Contains(list, "x7g7") || !strings.Contains(list, "x7g…") || !strings.Contains(list, "nautobot") {
		t.Fatalf("token list must show prefixes only:\n%s", list)
	}
	if r := runCLI(t, dsn, "", "token", "add", "--platform", "mattermost", "--token", "short-tok"); r.code != 2 || !strings.Contains(r.stderr, "at least 12") {
		t.Fatalf("short token: %+v", r)
	}
	if r := runCLI(t, dsn, "", "token", "add"); r.code != 2 {
		t.Fatalf("missing --platform: %+v", r)
	}
	mustRun(t, dsn, "token", "delete", "1")
	if r := runCLI(t, dsn, "", "token", "delete", "1"); r.code != 1 {
		t.Fatalf("second delete: %+v", r)
	}
}

func TestTerminalChat(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "acme", "acme"}, {"*", "*", "channel", "*", "any"}, {"help", "*", "user", "alice", "alice"}})
	r := runCLI(t, dsn, "help\nwhoami\nnetwork status\n\n", "chat", "--org", "acme", "--channel", "ops", "--user", "alice", "--user-name", "Alice")
	for _, want := range []string{"== Commands you can use ==", "`whoami` Show your platform", "Organization:  acme", "User:          alice (Alice)",
		`I don't know the command "network"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("chat output lacks %q:\n%s", want, r.stdout)
		}
	}
	// Another user without a grant is told which scope failed, with their id.
	r = runCLI(t, dsn, "help\n", "chat", "--org", "acme", "--channel", "ops", "--user", "bob")
	if !strings.Contains(r.stdout, "not permitted by user bob (bob)") {
		t.Errorf("denied chat: %s", r.stdout)
	}
	log := mustRun(t, dsn, "log", "commands", "--json")
	var entries []map[string]any
	json.Unmarshal([]byte(log), &entries)
	if len(entries) != 3 || entries[0]["status"] != "blocked" || entries[0]["user_id"] != "bob" || entries[1]["command"] != "whoami" {
		t.Fatalf("command log: %s", log)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	cases := []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"--config", write("unknown.yaml", "listen: 127.0.0.1:0\nlisten_port: 3\n"), "migrate"}, nil, `unknown key "listen_port"`},
		{[]string{"--config", write("type.yaml", "restrict_help: sometimes\n"), "migrate"}, nil, "line 1"},
		{[]string{"--config", write("dur.yaml", "command_timeout: soon\n"), "migrate"}, nil, `"soon" is not a duration`},
		{[]string{"--config", write("broken.yaml", "listen: [\n"), "migrate"}, nil, "broken.yaml"},
		{[]string{"--config", filepath.Join(dir, "missing.yaml"), "migrate"}, nil, "does not exist"},
		{[]string{"migrate"}, []string{"OPSGATE_RESTRICT_HELP=perhaps"}, "OPSGATE_RESTRICT_HELP"},
		{[]string{"migrate"}, []string{"OPSGATE_LOG_LEVEL=loud"}, "log_level"},
		{[]string{"migrate", "--database", "postgres://u:pw@127.0.0.1:1/x"}, nil, "Cannot reach database"},
		{[]string{"migrate", "--database", "oracle://x"}, nil, "not supported"},
		{[]string{"frobnicate"}, nil, "unknown command"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Environ: append([]string{"OPSGATE_DATABASE=" + sqliteDSN(t)}, c.env...)}
		code := m.Run(context.Background(), c.args)
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		if code == 0 || !strings.Contains(errb.String(), c.want) || len(lines) != 1 || strings.Contains(errb.String(), ":pw@") {
			t.Errorf("%v %v: exit %d, stderr %q; want one line containing %q", c.args, c.env, code, errb.String(), c.want)
		}
	}
}

// syncBuffer lets the test read what a running server prints.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs `opsgate serve` on a free port and returns its base URL; it stops with the test.
func startServer(t *testing.T, dsn string, extraEnv ...string) (string, *syncBuffer) {
	t.Helper()
	return startServerArgs(t, dsn, nil, extraEnv...)
}

// startServerArgs runs `opsgate ARGS serve`; extraEnv overrides the defaults (a free port).
func startServerArgs(t *testing.T, dsn string, args []string, extraEnv ...string) (string, *syncBuffer) {
	t.Helper()
	url, errb, _ := serveUntil(t, dsn, args, append([]string{"OPSGATE_GRANT_RELOAD_INTERVAL=50ms"}, extraEnv...)...)
	select {
	case base, ok := <-url:
		if !ok {
			t.Fatalf("serve exited: %s", errb.String())
		}
		return base, errb
	case <-time.After(10 * time.Second):
		t.Fatalf("serve did not start: %s", errb.String())
	}
	return "", nil
}

// serveUntil runs `opsgate ARGS serve` until the returned stop is called (or the test ends). url
// delivers its address once it listens (it may first wait for the serve lock), and is closed
// if serve exits before that.
func serveUntil(t *testing.T, dsn string, args []string, env ...string) (url <-chan string, logs *syncBuffer, stop func()) {
	t.Helper()
	out, errb := &syncBuffer{}, &syncBuffer{}
	m := &Main{Stdin: strings.NewReader(""), Stdout: out, Stderr: errb,
		Environ: append([]string{"OPSGATE_DATABASE=" + dsn, "OPSGATE_LISTEN=127.0.0.1:0"}, env...)}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan struct{})
	var code int
	go func() {
		code = m.Run(ctx, append(args, "serve"))
		close(exited)
	}()
	u := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listening on (https?://\S+)`)
		for {
			if m := re.FindStringSubmatch(out.String()); m != nil {
				u <- m[1]
				return
			}
			select {
			case <-exited:
				close(u)
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-exited:
				if code != 0 {
					t.Errorf("serve exited %d: %s", code, errb.String())
				}
			case <-time.After(10 * time.Second):
				t.Error("serve did not stop within 10s")
			}
		})
	}
	t.Cleanup(stop)
	return u, errb, stop
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	dsn := sqliteDSN(t)
	base, _ := startServer(t, dsn)
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || body != "ready\n" {
		t.Fatalf("readyz: %d %q", code, body)
	}
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("metrics: %d", code)
	}
	if code, _ := get(t, base+"/nope"); code != 404 {
		t.Fatalf("unknown path: %d", code)
	}
}

func TestAdminAPI(t *testing.T) {
	dsn := sqliteDSN(t)
	tok := regexp.MustCompile(`ogt_\S+`).FindString(mustRun(t, dsn, "token", "add", "--platform", "admin", "--comment", "ci"))
	mattermostTok := regexp.MustCompile(`ogt_\S+`).FindString(mustRun(t, dsn, "token", "add", "--platform", "mattermost"))
	base, _ := startServer(t, dsn)
	call := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, bad := range []string{"", "nope", mattermostTok} {
		if code, body := call("GET", "/api/v1/grants", bad, ""); code != 401 || !strings.Contains(body, `"error"`) {
			t.Fatalf("token %q: %d %s", bad, code, body)
		}
	}
	for _, g := range []string{
		`{"command":"*","subcommand":"*","type":"organization","value":"T1"}`,
		`{"command":"*","subcommand":"*","type":"channel","value":"*"}`,
		`{"command":"dns","subcommand":"flush","type":"user","value":"U1","platform":"slack"}`,
	} {
		if code, body := call("POST", "/api/v1/grants", tok, g); code != 201 || !strings.Contains(body, `"id":`) {
			t.Fatalf("create %s: %d %s", g, code, body)
		}
	}
	if code, body := call("POST", "/api/v1/grants", tok, `{"command":"dns","subcommand":"flush","type":"user","value":"U1","platform":"slack"}`); code != 409 {
		t.Fatalf("duplicate: %d %s", code, body)
	}
	for body, want := range map[string]string{
		`{"command":"*","subcommand":"x","type":"user","value":"*"}`: "all subcommands",
		`{"command":"dns"`: "not a grant",
		`{"command":"dns","subcommand":"*","type":"user","value":"U","owner":"x"}`: "unknown field",
		`{"command":"` + strings.Repeat("a", 70000) + `"}`:                         "larger than",
	} {
		if code, got := call("POST", "/api/v1/grants", tok, body); code != 400 || !strings.Contains(got, want) {
			t.Errorf("bad grant %.40s: %d %s", body, code, got)
		}
	}
	// The running server's decisions follow the API's changes (via the grant watcher).
	check := "/api/v1/access/check?platform=slack&org=T1&channel=C1&user=U1&command=dns&subcommand=flush"
	var got map[string]any
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, body := call("GET", check, tok, "")
		json.Unmarshal([]byte(body), &got)
		if got["allowed"] == true {
			break
		}
	}
	if got["allowed"] != true {
		t.Fatalf("check: %v", got)
	}
	_, body := call("GET", strings.Replace(check, "U1", "U2", 1), tok, "")
	if !strings.Contains(body, `"failed_scope":"user"`) || !strings.Contains(body, "not permitted by user U2") {
		t.Fatalf("denied check: %s", body)
	}
	if code, _ := call("DELETE", "/api/v1/grants/3", tok, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := call("DELETE", "/api/v1/grants/3", tok, ""); code != 404 {
		t.Fatalf("delete again: %d", code)
	}
	_, body = call("GET", "/api/v1/audit?object=grant", tok, "")
	if !strings.Contains(body, `"actor":"api:token-1"`) || !strings.Contains(body, `"action":"delete"`) {
		t.Fatalf("audit: %s", body)
	}
}
