package mattermost

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/metrics"
)

// slashWith posts a slash command with token, as if forwarded for client ("" : no header).
func (e *env) slashWith(token, client string) (int, http.Header) {
	e.t.Helper()
	f := slashForm("u1", "/nautobot", "ping", e.mm.responseURL())
	req, _ := http.NewRequest("POST", e.srv.URL+PathSlashCommand, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Token "+token)
	if client != "" {
		req.Header.Set("X-Forwarded-For", client)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// A stranger guessing command tokens from the same address (Mattermost's own, for every team)
// must not lock out the real slash command; its guesses are limited and counted.
func TestSlashGuessingLimitedWithoutLockOut(t *testing.T) {
	e := newEnv(t, false)
	e.h.Guard = kit.NewGuard(kit.GuardOptions{Rate: 0.001, Burst: 3, Now: e.Now})
	count := func(reason string) float64 {
		return testutil.ToFloat64(metrics.RequestsRejected.WithLabelValues("mattermost", reason))
	}
	unknown, limited := count("unknown_token"), count("guess_limited")
	var got429 int
	for i := 0; i < 100; i++ {
		code, h := e.slashWith(fmt.Sprintf("guess%010d", i), "")
		switch {
		case code == 429 && h.Get("Retry-After") != "":
			got429++
		case code != 401:
			t.Fatalf("guess %d: %d", i, code)
		}
	}
	if got429 != 97 {
		t.Fatalf("%d of 100 wrong tokens limited, want 97", got429)
	}
	if count("unknown_token")-unknown != 3 || count("guess_limited")-limited != 97 {
		t.Fatalf("counted %v unknown and %v limited, want 3 and 97", count("unknown_token")-unknown, count("guess_limited")-limited)
	}
	if code, _ := e.slashWith(cmdToken, ""); code != 200 {
		t.Fatalf("the real slash command after a stranger's guesses: %d, want 200", code)
	}
}

func TestSlashClientFromTrustedProxy(t *testing.T) {
	e := newEnv(t, false)
	proxies, _ := kit.ParseTrustedProxies([]string{"127.0.0.1", "::1"})
	e.h.Guard = kit.NewGuard(kit.GuardOptions{Rate: 0.001, Burst: 1, Now: e.Now, Proxies: proxies})
	e.slashWith("wrong-token-1", "198.51.100.1")
	if code, _ := e.slashWith("wrong-token-2", "198.51.100.1"); code != 429 {
		t.Fatalf("forwarded client past its limit: %d, want 429", code)
	}
	if code, _ := e.slashWith("wrong-token-3", "198.51.100.2"); code != 401 {
		t.Fatalf("another client behind the trusted proxy: %d, want 401", code)
	}
	e = newEnv(t, false)
	e.h.Guard = kit.NewGuard(kit.GuardOptions{Rate: 0.001, Burst: 1, Now: e.Now})
	e.slashWith("wrong-token-1", "198.51.100.1")
	if code, _ := e.slashWith("wrong-token-2", "198.51.100.2"); code != 429 {
		t.Fatalf("X-Forwarded-For from an untrusted peer was believed: %d, want 429", code)
	}
}
