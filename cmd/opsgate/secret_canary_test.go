package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
)

// canaryEnv turns on the test-only "canary" command: a stand-in for an executor that gets secrets
// by reference and then does everything careless code does with them (prints, logs, fails, panics).
const canaryEnv = "OPSGATE_TEST_SECRET_CANARY=1"

func init() {
	envNotSettings["OPSGATE_TEST_SECRET_CANARY"] = true // a test switch, not a setting
	registerModule(module{Name: "secret-canary", Order: 20, Setup: func(ctx context.Context, m *Main) error {
		if !slices.Contains(m.Environ, canaryEnv) {
			return nil
		}
		svc := m.Secrets
		resolve := func(ctx context.Context, inv *opsgate.Invocation) (string, error) {
			return svc.Resolver(map[string]any{"name": "csr1", "site": "nyc"})(ctx, inv.Route.Params["secret"])
		}
		params := []opsgate.Param{{Name: "secret"}}
		sub := func(name string, run func(ctx context.Context, inv *opsgate.Invocation, v string) error) *opsgate.Subcommand {
			return &opsgate.Subcommand{Name: name, Params: params, Run: func(ctx context.Context, inv *opsgate.Invocation) error {
				v, err := resolve(ctx, inv)
				if err != nil {
					var se *opsgate.SecretError
					if errors.As(err, &se) {
						return opsgate.Errorf(opsgate.EINVALID, "%s", se.Error())
					}
					return err
				}
				return run(ctx, inv, v)
			}}
		}
		b64 := func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) }
		m.Pipeline.Register(&opsgate.Command{Name: "canary", Help: "test command using secrets", Subcommands: []*opsgate.Subcommand{
			sub("echo", func(ctx context.Context, inv *opsgate.Invocation, v string) error {
				_, err := inv.Out.Send(ctx, opsgate.Message{Blocks: []opsgate.Block{
					opsgate.Header{Text: "header " + v},
					opsgate.Text{Markdown: fmt.Sprintf("value: %s b64: %s url: %s basic: %s", v, b64(v), url.QueryEscape(v), b64("admin:"+v))},
					opsgate.Fields{Fields: []opsgate.Field{{Name: "password", Value: v}}},
					opsgate.Table{Header: []string{"k", "v"}, Rows: [][]string{{"pw", v}}},
					opsgate.Snippet{Title: "config", Content: "password " + v + "\n"},
				}})
				return err
			}),
			sub("fail", func(ctx context.Context, inv *opsgate.Invocation, v string) error {
				return opsgate.Errorf(opsgate.EINVALID, "Device refused password %s (base64 %s).", v, b64(v))
			}),
			sub("crash", func(ctx context.Context, inv *opsgate.Invocation, v string) error {
				return fmt.Errorf("driver: login with %q failed", v)
			}),
			sub("panic", func(ctx context.Context, inv *opsgate.Invocation, v string) error {
				panic("unexpected " + v)
			}),
			sub("log", func(ctx context.Context, inv *opsgate.Invocation, v string) error {
				m.Logger.DebugContext(ctx, "resolved "+v, "pw", v, "b64", b64(v), "err", errors.New("auth "+v), "m", map[string]string{"pw": v})
				m.Logger.With("pw", v).Info("with attrs")
				_, err := inv.Out.Send(ctx, opsgate.Textf("logged"))
				return err
			}),
		}})
		return nil
	}})
}

// leaks returns the forms of any canary found in s.
func leaks(s string, canaries []string) []string {
	var found []string
	for _, v := range canaries {
		for _, f := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), base64.RawStdEncoding.EncodeToString([]byte(v)),
			base64.URLEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v)), url.QueryEscape(v), url.PathEscape(v)} {
			if strings.Contains(s, f) {
				found = append(found, f)
			}
		}
		// The value inside a longer base64 text (a Basic auth header).
		if basic := base64.StdEncoding.EncodeToString([]byte("admin:" + v)); strings.Contains(s, basic[8:len(basic)-4]) {
			found = append(found, "basic-auth form of "+v[:6])
		}
	}
	return found
}

// TestSecretCanary runs commands that use secrets from every local provider and from Vault,
// succeeding and failing in every way, and checks that no value (nor its base64 or URL-encoded
// form) appears in chat replies, debug logs, the command log, the audit log, the admin API,
// CLI output, error messages or anywhere in the database.
func TestSecretCanary(t *testing.T) {
	const (
		envValue   = "canary-ENV+v@lue/7f3a!k9#Q z"
		fileValue  = "canary-FILE&v=al%ue?x8Lm2"
		vaultValue = "canary-VAULT:väl<ue>Zq91"
		vaultToken = "hvs.canaryTOKEN-Xq8s7d6f5g"
	)
	canaries := []string{envValue, fileValue, vaultValue, vaultToken}

	// A Vault KV v2 server (documented API) holding one secret, for one token.
	vaultReads := 0
	vsrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("X-Vault-Token") != vaultToken {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"errors":["permission denied"]}`)
			return
		}
		switch r.URL.Path {
		case "/v1/auth/token/lookup-self":
			fmt.Fprint(w, `{"data":{"ttl":0,"renewable":false,"policies":["root"]}}`)
		case "/v1/secret/data/network/csr1":
			vaultReads++
			b, _ := json.Marshal(map[string]any{"data": map[string]any{"data": map[string]string{"password": vaultValue},
				"metadata": map[string]any{"version": 1, "destroyed": false, "deletion_time": ""}}})
			w.Write(b)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errors":[]}`)
		}
	}))
	defer vsrv.Close()

	dir := t.TempDir()
	root := filepath.Join(dir, "secrets")
	if err := os.MkdirAll(root, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "csr1.txt"), []byte(fileValue+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "outside.txt"), []byte("outside-canary-value"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "opsgate.yaml")
	cfg := fmt.Sprintf(`log_level: debug
secrets:
  file_roots: [%q]
  env_prefixes: [CANARY_]
  vaults:
    default:
      url: %q
      auth:
        method: token
        token: "${secret:vault-token}"
`, root, vsrv.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	dsn := sqliteDSN(t)
	environ := []string{"OPSGATE_DATABASE=" + dsn, "CANARY_ENV=" + envValue, "CANARY_VAULT_TOKEN=" + vaultToken, canaryEnv}
	var outputs []string // everything observable, checked at the end
	run := func(stdin string, args ...string) (*Main, result) {
		t.Helper()
		var out, errb strings.Builder
		m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Environ: environ}
		code := m.Run(context.Background(), append([]string{"--config", cfgPath}, args...))
		r := result{code, out.String(), errb.String()}
		outputs = append(outputs, fmt.Sprintf("opsgate %v (exit %d):\n%s\n%s", args, code, r.stdout, r.stderr))
		return m, r
	}
	mustCLI := func(args ...string) string {
		t.Helper()
		if _, r := run("", args...); r.code != 0 {
			t.Fatalf("opsgate %v: exit %d: %s %s", args, r.code, r.stdout, r.stderr)
		} else {
			return r.stdout
		}
		return ""
	}
	for _, g := range []string{"organization", "channel", "user"} {
		mustCLI("grant", "add", "--command", "*", "--type", g, "--value", "*")
	}
	mustCLI("secret", "add", "--name", "vault-token", "--provider", "environment-variable", "--param", "variable=CANARY_VAULT_TOKEN")
	mustCLI("secret", "add", "--name", "env-secret", "--provider", "environment-variable", "--param", "variable=CANARY_ENV")
	mustCLI("secret", "add", "--name", "file-secret", "--provider", "text-file", "--param", "path="+root+"/{{ obj.name }}.txt")
	mustCLI("secret", "add", "--name", "vault-secret", "--provider", "hashicorp-vault", "--param", "path=network/{{ obj.name }}", "--param", "key=password")
	mustCLI("secret", "add", "--name", "missing-secret", "--provider", "environment-variable", "--param", "variable=CANARY_MISSING")
	mustCLI("secret", "add", "--name", "escape-secret", "--provider", "text-file", "--param", "path="+root+"/../{{ obj.site }}/../outside.txt")
	mustCLI("secret", "add", "--name", "undefined-secret", "--provider", "text-file", "--param", "path="+root+"/{{ obj.region }}.txt")
	mustCLI("secret", "group", "add", "--name", "device")
	mustCLI("secret", "group", "set", "device", "--access-type", "SSH", "--secret-type", "password", "--secret", "file-secret")

	chat := strings.Join([]string{
		"canary echo env-secret", "canary echo file-secret", "canary echo vault-secret", "canary echo vault-token",
		"canary fail file-secret", "canary crash vault-secret", "canary panic env-secret", "canary log env-secret",
		"canary log vault-secret", "canary echo missing-secret", "canary echo escape-secret", "canary echo undefined-secret",
	}, "\n") + "\n"
	m, r := run(chat, "chat", "--user", "U1", "--channel", "C1", "--org", "O1")
	if r.code != 0 {
		t.Fatalf("chat: exit %d: %s", r.code, r.stderr)
	}
	// The commands really ran with the values: replies carry the redaction marker in every block.
	if n := strings.Count(r.stdout, "[REDACTED]"); n < 4*8 {
		t.Errorf("expected redacted values in every reply block, found %d markers:\n%s", n, r.stdout)
	}
	for _, want := range []string{"Device refused password [REDACTED] (base64 [REDACTED]).", "Internal error.", "logged",
		`SecretValueNotFoundError: Secret "missing-secret" (provider "EnvironmentVariableSecretsProvider"): Undefined environment variable "CANARY_MISSING"!`,
		`SecretParametersError: Secret "escape-secret"`, `SecretParametersError: Secret "undefined-secret"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("chat output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "outside-canary-value") {
		t.Error("a path escaping the roots was read")
	}
	if vaultReads != 1 {
		t.Errorf("vault read %d times for 3 uses, want 1 (cache)", vaultReads)
	}
	if m.Config.Secrets.Vaults["default"].Auth.Token != vaultToken {
		t.Error("${secret:vault-token} in the configuration was not resolved")
	}
	if !strings.Contains(r.stderr, `"msg":"secret resolved"`) || !strings.Contains(r.stderr, `"msg":"resolved [REDACTED]"`) {
		t.Errorf("debug log lacks the resolution and the command's own log lines:\n%s", r.stderr)
	}

	// CLI views: check, lists, the command and audit logs.
	_, r = run("", "secret", "check", "vault-secret", "--obj-json", `{"name":"csr1"}`)
	if r.code != 0 || r.stdout != "ok\n" {
		t.Errorf("check: %+v", r)
	}
	_, r = run("", "secret", "check", "file-secret", "--obj-json", `{"name":"nope"}`)
	if r.code != 1 || !strings.HasPrefix(r.stdout, `SecretValueNotFoundError: Secret "file-secret" (provider "TextFileSecretsProvider"): File `) {
		t.Errorf("failing check: %+v", r)
	}
	mustCLI("secret", "list", "--json")
	mustCLI("secret", "group", "list", "--json")
	log := mustCLI("log", "commands", "--json")
	var entries []opsgate.CommandLogEntry
	if err := json.Unmarshal([]byte(log), &entries); err != nil {
		t.Fatal(err)
	}
	statuses := map[string]int{}
	for _, e := range entries {
		statuses[e.Status]++
	}
	if statuses[opsgate.StatusSucceeded] != 6 || statuses[opsgate.StatusFailed] != 4 || statuses[opsgate.StatusErrored] != 2 {
		t.Errorf("command log statuses %v, want 6 succeeded, 4 failed, 2 errored", statuses)
	}
	mustCLI("log", "audit", "--json")

	// The admin API over HTTP.
	tok := regexp.MustCompile(`ogt_\S+`).FindString(mustCLI("token", "add", "--platform", "admin"))
	base, serveLog := startServer(t, dsn, "CANARY_ENV="+envValue, "OPSGATE_LOG_LEVEL=debug")
	for _, path := range []string{"/api/v1/commandlog", "/api/v1/audit", "/metrics"} {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_, _ = fmt.Fprint(&b, resp.Status, "\n")
		buf := make([]byte, 1<<20)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %s", path, b.String())
		}
		outputs = append(outputs, "GET "+path+"\n"+b.String())
	}
	outputs = append(outputs, serveLog.String())

	// Every row of every table.
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	outputs = append(outputs, dumpDB(t, db.SQL))

	all := strings.Join(outputs, "\n")
	if found := leaks(all, canaries); len(found) > 0 {
		t.Fatalf("secret values leaked (%v) in:\n%s", found, all)
	}
	// The test must be able to fail: the same check finds a value where one is.
	if len(leaks("x"+base64.StdEncoding.EncodeToString([]byte("admin:"+vaultValue)), canaries)) == 0 {
		t.Fatal("leak check is blind")
	}
}

func dumpDB(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, tbl := range tables {
		rs, err := db.Query(`SELECT * FROM "` + tbl + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rs.Columns()
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rs.Scan(ptrs...)
			fmt.Fprintf(&b, "%s: %v\n", tbl, vals)
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					b.Write(bs)
					b.WriteByte('\n')
				}
			}
		}
		rs.Close()
	}
	return b.String()
}
