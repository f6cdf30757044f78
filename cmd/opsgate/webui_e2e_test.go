package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/opsgate/opsgate/store"
)

// browserTools returns chromium and node, or skips (fails under CI=true) when one is missing:
// scripts/test installs both, and the e2e package's node_modules.
func browserTools(t *testing.T) (chromium, node, dir string) {
	t.Helper()
	dir, _ = filepath.Abs("../../webui/e2e")
	chromium = os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	missing := ""
	if _, err := os.Stat(chromium); err != nil {
		missing = chromium
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing = "node"
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		missing = "webui/e2e/node_modules (npm ci)"
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need %s (scripts/test installs it)", missing)
		}
		t.Skipf("browser tests skipped: %s is missing (scripts/test installs it)", missing)
	}
	return chromium, node, dir
}

// A Slack API stand-in answering conversations.list and users.list, as Slack documents them.
func newLookupSlackAPI(t *testing.T) *slacktest.Server {
	answer := func(path, body string) slacktest.Binder {
		return func(c slacktest.Customize) {
			c.Handle(path, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, body)
			})
		}
	}
	s := slacktest.NewTestServer(
		answer("/conversations.list", `{"ok":true,"channels":[{"id":"C0RANDOM","name":"random"},{"id":"C0GENERAL","name":"general"}],"response_metadata":{"next_cursor":""}}`),
		answer("/users.list", `{"ok":true,"members":[{"id":"U0ALICE","name":"alice","real_name":"Alice Doe","profile":{"display_name":"alice","email":"alice@example.com"}}],"response_metadata":{"next_cursor":""}}`),
	)
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// TestWebUIInChromium runs webui/e2e/ui.mjs in Debian's Chromium against a real `opsgate serve`:
// log in, grants, look-up, access check with its fix, a token shown once, a secret check, the web
// chat and the live command log, a viewer's refusals, a cross-site post, an expired session.
func TestWebUIInChromium(t *testing.T) {
	chromium, node, dir := browserTools(t)
	dsn := sqliteDSN(t)
	passwords := map[string]string{"admin": "admin password e2e", "viewer": "viewer password e2e"}
	for name, pw := range passwords {
		if r := runCLI(t, dsn, pw+"\n", "user", "add", "--name", name, "--role", name, "--password-stdin"); r.code != 0 {
			t.Fatalf("user add: %s", r.stderr)
		}
	}
	// The web chat's identity needs grants to run the alias (whoami needs none).
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "web", "web"}, {"*", "*", "channel", "webchat", "webchat"}, {"examples", "*", "user", "admin", "admin"}})
	slackAPI := newLookupSlackAPI(t)
	aliases, _ := filepath.Abs("../../examples/aliases")
	cfg := filepath.Join(t.TempDir(), "opsgate.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`slack:
  enabled: true
  signing_secret: e2e-signing-secret
  bot_token: xoxb-e2e
  bot_user_id: UBOT
  api_url: %s
aliases:
  dir: %s
secrets:
  env_prefixes: [NAPALM_]
`, slackAPI.GetAPIURL(), aliases)), 0o600)
	const secretValue = "napalm-value-never-shown"
	base, errb := startServerArgs(t, dsn, []string{"--config", cfg}, "NAPALM_PASSWORD="+secretValue)

	// A page on another site (localhost is not 127.0.0.1's site) that posts a form to opsgate.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>prize</title><form id=f method=post action="%s/ui/grants"><input name=command value=evil><input name=type value=user><input name=value value=U666><button>Win a prize</button></form>`, base)
	}))
	t.Cleanup(evil.Close)
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)

	shots, err := os.MkdirTemp("", "opsgate-ui-screenshots-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s (kept)", shots)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "ui.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OPSGATE_URL="+base, "EVIL_URL="+evilURL, "SHOTS="+shots, "CHROMIUM="+chromium,
		"ADMIN_PASSWORD="+passwords["admin"], "VIEWER_PASSWORD="+passwords["viewer"], "SECRET_VALUE="+secretValue)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if line == "@@expire" {
			// Every session ends, as when its lifetime is over; the browser keeps its cookie.
			db, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			if err := store.NewSessionStore(db).Expire(context.Background()); err != nil {
				t.Error(err)
			}
			db.Close()
			io.WriteString(stdin, "ok\n")
			continue
		}
		out.WriteString(line + "\n")
	}
	err = cmd.Wait()
	t.Logf("browser steps:\n%s", out.String())
	if err != nil {
		t.Fatalf("browser tests failed (%v):\n%s\n%s\nserver log:\n%s", err, out.String(), stderr.String(), errb.String())
	}

	// What the browser did is what the CLI sees.
	list := mustRun(t, dsn, "grant", "list")
	if !strings.Contains(list, "deploy") || !strings.Contains(list, "U42") || !strings.Contains(list, "staging") {
		t.Errorf("grant list lacks the grant added in the browser:\n%s", list)
	}
	if strings.Contains(list, "evil") {
		t.Errorf("the cross-site post added a grant:\n%s", list)
	}
	if strings.Contains(errb.String(), secretValue) {
		t.Error("the server log holds the secret's value")
	}
}
