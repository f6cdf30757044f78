package main

import (
	"context"
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
