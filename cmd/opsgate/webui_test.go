package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeUIOnByDefault(t *testing.T) {
	dsn := sqliteDSN(t)
	base, _ := startServer(t, dsn)
	if code, body := get(t, base+"/ui/login"); code != 200 || !strings.Contains(body, "Log in") {
		t.Errorf("GET /ui/login: %d", code)
	}
	off, _ := startServer(t, sqliteDSN(t), "OPSGATE_UI_ENABLED=false")
	if code, _ := get(t, off+"/ui/login"); code != 404 {
		t.Errorf("ui.enabled=false: GET /ui/login: %d, want 404", code)
	}
}

// serveOutput runs serve until it prints its address and returns what it printed on stdout.
func serveOutput(t *testing.T, dsn string) string {
	t.Helper()
	out := &syncBuffer{}
	m := &Main{Stdin: strings.NewReader(""), Stdout: out, Stderr: &syncBuffer{},
		Environ: []string{"OPSGATE_DATABASE=" + dsn, "OPSGATE_LISTEN=127.0.0.1:0", "OPSGATE_LOG_LEVEL=warn"}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- m.Run(ctx, []string{"serve"}) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(out.String(), "listening on") {
			return out.String()
		}
	}
	t.Fatalf("serve did not start: %s", out.String())
	return ""
}

func TestServeSaysHowToCreateTheFirstAccount(t *testing.T) {
	dsn := sqliteDSN(t)
	if out := serveOutput(t, dsn); !strings.Contains(out, "opsgate user add --name admin --role admin") {
		t.Errorf("serve on a database without accounts printed:\n%s", out)
	}
	mustRun(t, dsn, "user", "add", "--name", "admin", "--role", "admin")
	if out := serveOutput(t, dsn); strings.Contains(out, "no accounts") {
		t.Errorf("serve with an account still printed the hint:\n%s", out)
	}
}

func TestUIConfigRefusedInOneLine(t *testing.T) {
	for body, want := range map[string]string{
		"ui:\n  oidc:\n    issuer: https://idp.example.com\n    client_id: opsgate\n    redirect_url: https://o.example.com/callback\n    role_claim: groups\n    roles: {a: admin}\n":              "ui.oidc.redirect_url is required",
		"ui:\n  oidc:\n    issuer: https://idp.example.com\n    client_id: opsgate\n    redirect_url: https://o.example.com/ui/login/oidc/callback\n    role_claim: groups\n    roles: {a: root}\n": `ui.oidc.roles.a: Role "root" is not one of admin, operator, viewer.`,
		"ui:\n  secret_constraints:\n    operator: {param: variable}\n": "ui.secret_constraints.operator.provider is required",
		"ui:\n  session_lifetime: -1h\n":                                "ui.session_lifetime must not be negative",
	} {
		cfg := filepath.Join(t.TempDir(), "opsgate.yaml")
		os.WriteFile(cfg, []byte(body), 0o600)
		r := runCLI(t, sqliteDSN(t), "", "--config", cfg, "migrate")
		if r.code != 2 || !strings.Contains(r.stderr, want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, %q; want 2 and one line containing %q", body, r.code, r.stderr, want)
		}
	}
}

func TestServeOffersSingleSignOn(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "opsgate.yaml")
	os.WriteFile(cfg, []byte("ui:\n  oidc:\n    issuer: https://idp.example.com\n    client_id: opsgate\n    redirect_url: https://o.example.com/ui/login/oidc/callback\n    role_claim: groups\n    roles: {ops: operator}\n"), 0o600)
	base, _ := startServerArgs(t, sqliteDSN(t), []string{"--config", cfg})
	if code, body := get(t, base+"/ui/login"); code != 200 || !strings.Contains(body, "Log in with single sign-on") {
		t.Errorf("login page with ui.oidc: %d, no single sign-on link", code)
	}
}
