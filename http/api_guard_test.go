package http_test

import (
	"context"
	"fmt"
	nethttp "net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate"
	oghttp "github.com/opsgate/opsgate/http"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/metrics"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

func guardedAPI(t *testing.T, guard *kit.Guard) (string, string) {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	tokens := store.NewTokenService(db)
	token, err := tokens.CreateToken(context.Background(), &opsgate.CommandToken{Platform: oghttp.AdminPlatform}, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := oghttp.NewServer("127.0.0.1:0", nil)
	(&oghttp.API{Grants: store.NewGrantService(db), Tokens: tokens, Audit: store.NewAuditService(db),
		CommandLog: store.NewCommandLogService(db), Guard: guard}).Register(srv)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL, token
}

func getFrom(t *testing.T, url, bearer, forwardedFor string) *nethttp.Response {
	t.Helper()
	req, _ := nethttp.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	resp, err := nethttp.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Wrong admin tokens are limited per client address; a valid token is served whatever others
// behind the same address guessed; every refusal is counted.
func TestAdminAPIGuessingLimited(t *testing.T) {
	url, token := guardedAPI(t, kit.NewGuard(kit.GuardOptions{Rate: 0.001, Burst: 3}))
	count := func(reason string) float64 {
		return testutil.ToFloat64(metrics.RequestsRejected.WithLabelValues("admin", reason))
	}
	bad, limited := count("unknown_token"), count("guess_limited")
	var got429 int
	for i := 0; i < 100; i++ {
		r := getFrom(t, url+"/api/v1/grants", fmt.Sprintf("guess-%d", i), "")
		switch {
		case r.StatusCode == 429 && r.Header.Get("Retry-After") != "":
			got429++
		case r.StatusCode != 401:
			t.Fatalf("guess %d: %d", i, r.StatusCode)
		}
	}
	if got429 != 97 {
		t.Fatalf("%d of 100 wrong tokens limited, want 97", got429)
	}
	if count("unknown_token")-bad != 3 || count("guess_limited")-limited != 97 {
		t.Fatalf("counted %v unknown and %v limited, want 3 and 97", count("unknown_token")-bad, count("guess_limited")-limited)
	}
	if r := getFrom(t, url+"/api/v1/grants", token, ""); r.StatusCode != 200 {
		t.Fatalf("valid admin token after a stranger's guesses: %d, want 200", r.StatusCode)
	}
}

func TestAdminAPIClientFromTrustedProxy(t *testing.T) {
	proxies, _ := kit.ParseTrustedProxies([]string{"127.0.0.1", "::1"})
	url, _ := guardedAPI(t, kit.NewGuard(kit.GuardOptions{Rate: 0.001, Burst: 1, Proxies: proxies}))
	getFrom(t, url+"/api/v1/grants", "wrong", "198.51.100.1")
	if r := getFrom(t, url+"/api/v1/grants", "wrong", "198.51.100.1"); r.StatusCode != 429 {
		t.Fatalf("forwarded client past its limit: %d, want 429", r.StatusCode)
	}
	if r := getFrom(t, url+"/api/v1/grants", "wrong", "198.51.100.2"); r.StatusCode != 401 {
		t.Fatalf("another client behind the trusted proxy: %d, want 401", r.StatusCode)
	}
	url, _ = guardedAPI(t, kit.NewGuard(kit.GuardOptions{Rate: 0.001, Burst: 1}))
	getFrom(t, url+"/api/v1/grants", "wrong", "198.51.100.1")
	if r := getFrom(t, url+"/api/v1/grants", "wrong", "198.51.100.2"); r.StatusCode != 429 {
		t.Fatalf("X-Forwarded-For from an untrusted peer was believed: %d, want 429", r.StatusCode)
	}
}
