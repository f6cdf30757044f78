package stackstorm

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

func newWebhook(t *testing.T, clk *clock) (*httptest.Server, *sink, *[]string) {
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
		Rate: 1, Burst: 2, Now: clk.Now, Platforms: []string{"slack"},
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
	// The two refusals used up this address's burst: wait for a refill before a token is checked.
	clk.Add(time.Second)
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

// Once an address is limited for refused tokens, its guesses must not be checked at all: if a
// right guess still got through (200) while wrong ones got 429, the limit would not slow guessing.
func TestWebhookLimitedAddressCannotTestTokens(t *testing.T) {
	clk := newClock()
	srv, out, _ := newWebhook(t, clk)
	body := `{"channel": "slack:C1", "message": "hi"}`
	for i := 0; i < 2; i++ { // burst 2
		if r := postWebhook(t, srv.URL, "guess-"+string(rune('a'+i)), body); r.StatusCode != 401 {
			t.Fatalf("guess %d: %d", i, r.StatusCode)
		}
	}
	if r := postWebhook(t, srv.URL, "guess-c", body); r.StatusCode != 429 {
		t.Fatalf("third wrong guess: %d, want 429", r.StatusCode)
	}
	if r := postWebhook(t, srv.URL, "good-token", body); r.StatusCode != 429 {
		t.Fatalf("right guess from a limited address: %d, want 429 like any other guess", r.StatusCode)
	}
	if len(out.messages()) != 0 {
		t.Fatal("a post from a limited address was delivered")
	}
	clk.Add(time.Second)
	if r := postWebhook(t, srv.URL, "good-token", body); r.StatusCode != 200 {
		t.Fatalf("after refill: %d", r.StatusCode)
	}
}
