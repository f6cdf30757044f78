package stackstorm

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/metrics"
)

func newWebhook(t *testing.T, clk *clock) (*httptest.Server, *sink, *[]string) {
	return newWebhookGuarded(t, clk, kit.NewGuard(kit.GuardOptions{Rate: 1, Burst: 2, Now: clk.Now}))
}

func newWebhookGuarded(t *testing.T, clk *clock, guard *kit.Guard) (*httptest.Server, *sink, *[]string) {
	out := &sink{}
	var audit []string
	h := &Webhook{
		Verify: func(_ context.Context, tok string) (int64, error) {
			if subtle.ConstantTimeCompare([]byte(tok), []byte("good-token")) == 1 {
				return 7, nil
			}
			return 0, opsgate.Errorf(opsgate.EUNAUTHORIZED, "Invalid token.")
		},
		Deliver: out.deliver,
		Audit: func(ctx context.Context, id int64, a Announcement) error {
			audit = append(audit, opsgate.ActorFromContext(ctx)+" "+a.Channel)
			return nil
		},
		Rate: 1, Burst: 2, Now: clk.Now, Platforms: []string{"slack"}, Guard: guard,
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, out, &audit
}

func postWebhook(t *testing.T, url, token, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestWebhook(t *testing.T) {
	clk := newClock()
	srv, out, audit := newWebhook(t, clk)
	body := `{"channel": "slack:C1", "message": "hello{~}world", "user": "U1", "whisper": true, "extra": {"slack": {"color": "danger"}}}`
	if r := postWebhook(t, srv.URL, "forged", body); r.StatusCode != 401 || r.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("forged token: %d", r.StatusCode)
	}
	if r := postWebhook(t, srv.URL, "", body); r.StatusCode != 401 {
		t.Fatalf("no token: %d", r.StatusCode)
	}
	if len(out.messages()) != 0 || len(*audit) != 0 {
		t.Fatal("refused post was delivered or audited")
	}
	// The two refusals used up this address's burst, but a valid token is served regardless.
	if r := postWebhook(t, srv.URL, "good-token", body); r.StatusCode != 200 {
		t.Fatalf("good token: %d", r.StatusCode)
	}
	a := out.got[0]
	if a.Platform != "slack" || a.Channel != "C1" || a.Pretext != "hello" || a.Message != "world" || !a.Whisper || a.User != "U1" {
		t.Fatalf("announcement %+v", a)
	}
	if (*audit)[0] != "webhook:token-7 C1" {
		t.Fatalf("audit %v", *audit)
	}
	if r := postWebhook(t, srv.URL, "good-token", `{"message": "no channel"}`); r.StatusCode != 400 {
		t.Fatalf("no channel: %d", r.StatusCode)
	}
	// Burst 2 used up (one good post, one bad request): the next is limited, with Retry-After.
	r := postWebhook(t, srv.URL, "good-token", body)
	if r.StatusCode != 429 || r.Header.Get("Retry-After") != "1" {
		t.Fatalf("rate limit: %d %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	clk.Add(time.Second)
	if r := postWebhook(t, srv.URL, "good-token", body); r.StatusCode != 200 {
		t.Fatalf("after refill: %d", r.StatusCode)
	}
	// Forged tokens from one address are limited too (guessing is slow).
	postWebhook(t, srv.URL, "forged", body)
	postWebhook(t, srv.URL, "forged", body)
	if r := postWebhook(t, srv.URL, "forged", body); r.StatusCode != 429 {
		t.Fatalf("forged flood: %d", r.StatusCode)
	}
}

// A stranger behind the same address (a shared proxy, NAT) guessing tokens must not lock out the
// caller holding a valid one: only refusals count against the address.
func TestWebhookStrangerCannotLockOutValidCaller(t *testing.T) {
	clk := newClock()
	srv, out, _ := newWebhook(t, clk)
	body := `{"channel": "slack:C1", "message": "hi"}`
	var limited int
	for i := 0; i < 100; i++ {
		r := postWebhook(t, srv.URL, fmt.Sprintf("guess-%d", i), body)
		switch {
		case r.StatusCode == 429 && r.Header.Get("Retry-After") != "":
			limited++
		case r.StatusCode != 401:
			t.Fatalf("guess %d: %d", i, r.StatusCode)
		}
	}
	if limited != 98 { // burst 2
		t.Fatalf("%d of 100 wrong guesses limited, want 98", limited)
	}
	if r := postWebhook(t, srv.URL, "good-token", body); r.StatusCode != 200 {
		t.Fatalf("valid caller after a stranger's 100 guesses: %d, want 200", r.StatusCode)
	}
	if len(out.messages()) != 1 {
		t.Fatalf("delivered %d posts, want 1", len(out.messages()))
	}
}

func TestWebhookClientAddressFromTrustedProxy(t *testing.T) {
	send := func(url, client string) int {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"channel": "slack:C1", "message": "hi"}`))
		req.Header.Set("Authorization", "Bearer wrong-token")
		req.Header.Set("X-Forwarded-For", client)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// The test client connects from 127.0.0.1: trusted, each forwarded client has its own limit.
	clk := newClock()
	proxies, _ := kit.ParseTrustedProxies([]string{"127.0.0.1", "::1"})
	srv, _, _ := newWebhookGuarded(t, clk, kit.NewGuard(kit.GuardOptions{Rate: 1, Burst: 2, Now: clk.Now, Proxies: proxies}))
	send(srv.URL, "198.51.100.1")
	send(srv.URL, "198.51.100.1")
	if code := send(srv.URL, "198.51.100.1"); code != 429 {
		t.Fatalf("third refusal of a forwarded client: %d, want 429", code)
	}
	if code := send(srv.URL, "198.51.100.2"); code != 401 {
		t.Fatalf("another client behind the trusted proxy: %d, want 401 (not limited)", code)
	}
	// Not trusted: the header is the client's own word, and a new one each time buys nothing.
	srv, _, _ = newWebhook(t, clk)
	send(srv.URL, "198.51.100.1")
	send(srv.URL, "198.51.100.2")
	if code := send(srv.URL, "198.51.100.3"); code != 429 {
		t.Fatalf("forged X-Forwarded-For from an untrusted peer escaped the limit: %d", code)
	}
}

func TestWebhookRefusalsCounted(t *testing.T) {
	clk := newClock()
	srv, _, _ := newWebhook(t, clk)
	count := func(reason string) float64 {
		return testutil.ToFloat64(metrics.RequestsRejected.WithLabelValues("webhook", reason))
	}
	unknown, missing, limited := count("unknown_token"), count("missing_token"), count("guess_limited")
	postWebhook(t, srv.URL, "", `{}`)
	postWebhook(t, srv.URL, "wrong-token", `{}`)
	postWebhook(t, srv.URL, "wrong-token", `{}`)
	if count("missing_token") != missing+1 || count("unknown_token") != unknown+1 || count("guess_limited") != limited+1 {
		t.Fatalf("missing %v unknown %v limited %v: want one more each", count("missing_token")-missing,
			count("unknown_token")-unknown, count("guess_limited")-limited)
	}
	malformed := count("malformed")
	postWebhook(t, srv.URL, "good-token", `{"channel": "slack:C1", "message": "hi", "colour": "red"}`)
	if count("malformed") != malformed+1 {
		t.Fatal("a malformed body was not counted")
	}
}

func TestWebhookStrictBody(t *testing.T) {
	clk := newClock()
	h := &Webhook{
		Verify:  func(context.Context, string) (int64, error) { return 7, nil },
		Deliver: (&sink{}).deliver,
		Rate:    1000, Burst: 1000, Now: clk.Now, Platforms: []string{"slack", "mattermost"},
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, c := range []struct{ name, body, want string }{
		{"unknown field", `{"channel": "slack:C1", "message": "hi", "colour": "red"}`, `"colour"`},
		{"trailing data", `{"channel": "slack:C1", "message": "hi"} {"channel": "slack:C2", "message": "again"}`, "after the JSON object"},
		{"trailing garbage", `{"channel": "slack:C1", "message": "hi"}xyz`, "after the JSON object"},
		{"unknown platform", `{"channel": "teamz:C1", "message": "hi"}`, `"teamz"`},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer any")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		msg := e.Error
		if resp.StatusCode != 400 || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: %d %s, want 400 naming %s", c.name, resp.StatusCode, msg, c.want)
		}
	}
	// Trailing white space is not data, and a channel id with a colon but no platform-like
	// prefix (a Teams conversation "19:abc@thread") is still a channel.
	for _, body := range []string{`{"channel": "slack:C1", "message": "hi"}` + "\n\n", `{"channel": "19:abc@thread.v2", "message": "hi"}`} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer any")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d, want 200", body, resp.StatusCode)
		}
	}
}

// A platform the webhook knows but this server does not serve is the caller's mistake: 400 with
// the reason, not 502.
func TestWebhookPlatformNotServed(t *testing.T) {
	h := &Webhook{
		Verify: func(context.Context, string) (int64, error) { return 7, nil },
		Deliver: func(context.Context, Announcement) error {
			return opsgate.Errorf(opsgate.EINVALID, "No chat platform \"mattermost\" to post to.")
		},
		Platforms: []string{"slack", "mattermost"},
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"channel": "mattermost:C1", "message": "hi"}`))
	req.Header.Set("Authorization", "Bearer any")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), `mattermost`) {
		t.Fatalf("%d %s, want 400 naming the platform", resp.StatusCode, b)
	}
}
