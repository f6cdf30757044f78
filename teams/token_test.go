package teams_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/teams"
	"github.com/opsgate/opsgate/teamsfake"
)

func newTokens(f *teamsfake.Server, c *clock, pw string) *teams.TokenSource {
	ts := teams.NewTokenSource(f.TokenURL(), tenant, appID, pw, f.Client())
	ts.Now = c.Now
	return ts
}

func TestDefaultTokenURLIsTenantAware(t *testing.T) {
	if got := teams.DefaultTokenURL(""); got != "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token" {
		t.Fatalf("multi-tenant: %s", got)
	}
	if got := teams.DefaultTokenURL(tenant); got != "https://login.microsoftonline.com/"+tenant+"/oauth2/v2.0/token" {
		t.Fatalf("single-tenant: %s", got)
	}
	if got := teams.NewTokenSource("", tenant, appID, password, nil).URL; got != teams.DefaultTokenURL(tenant) {
		t.Fatalf("empty token_url: %s", got)
	}
}

func TestTokenCachedAndRefreshedNearExpiry(t *testing.T) {
	f, c := newFake(t)
	ts := newTokens(f, c, password)
	ctx := context.Background()
	first, err := ts.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if tok, err := ts.Token(ctx); err != nil || tok != first {
			t.Fatalf("token changed or failed: %v", err)
		}
	}
	if n := f.TokenRequests(); n != 1 {
		t.Fatalf("11 token uses made %d token requests, want 1", n)
	}
	c.Add(f.TokenTTL - 6*time.Minute) // still well before expiry
	if _, err := ts.Token(ctx); err != nil || f.TokenRequests() != 1 {
		t.Fatalf("refreshed too early: %d requests, %v", f.TokenRequests(), err)
	}
	c.Add(2 * time.Minute) // 4 minutes before expiry: replace it before it can expire in flight
	second, err := ts.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second == first || f.TokenRequests() != 2 {
		t.Fatalf("not refreshed near expiry: %d requests", f.TokenRequests())
	}
}

func TestTokenOneRequestInFlight(t *testing.T) {
	f, c := newFake(t)
	ts := newTokens(f, c, password)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := ts.Token(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// Concurrent callers share a request; a latecomer after it finished uses the cache.
	if n := f.TokenRequests(); n != 1 {
		t.Fatalf("20 concurrent callers made %d token requests", n)
	}
}

func TestTokenRefusedNamesTheCauseNotTheSecret(t *testing.T) {
	f, c := newFake(t)
	ts := newTokens(f, c, "wrong-password-value")
	_, err := ts.Token(context.Background())
	if opsgate.ErrorCode(err) != opsgate.EUNAUTHORIZED {
		t.Fatalf("code %q: %v", opsgate.ErrorCode(err), err)
	}
	msg := opsgate.ErrorMessage(err)
	if !strings.Contains(msg, "invalid_client") || strings.Contains(err.Error(), "wrong-password-value") {
		t.Fatalf("message %q", msg)
	}
	// A tenant the token endpoint does not know (a multi-tenant URL for a single-tenant bot).
	ts = teams.NewTokenSource(f.URL+"/botframework.com/oauth2/v2.0/token", "", appID, password, f.Client())
	if _, err := ts.Token(context.Background()); opsgate.ErrorCode(err) != opsgate.EUNAUTHORIZED {
		t.Fatalf("wrong tenant: %v", err)
	}
}
