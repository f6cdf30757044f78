package stackstorm

import (
	"context"
	"testing"
	"time"
)

func TestPasswordAuthRenewsBeforeExpiryAndOn401(t *testing.T) {
	clk := newClock()
	s := newFake(t, clk)
	s.MaxTTL = time.Hour
	c := newClient(s, clk)
	ctx := context.Background()

	if _, err := c.Help(ctx, nil, HelpQuery{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Help(ctx, nil, HelpQuery{}); err != nil {
		t.Fatal(err)
	}
	if n := len(s.CallsTo("/auth/v1/tokens")); n != 1 {
		t.Fatalf("token requests = %d, want 1 (token reused)", n)
	}
	// 55 minutes into a 1 h token: inside the renewal margin (6 min), a new token is fetched first.
	clk.Add(55 * time.Minute)
	if _, err := c.Help(ctx, nil, HelpQuery{}); err != nil {
		t.Fatal(err)
	}
	if n := len(s.CallsTo("/auth/v1/tokens")); n != 2 {
		t.Fatalf("token requests = %d, want 2 (renewed before expiry)", n)
	}
	// st2 expires the token early (revoked, clock skew): the 401 triggers one re-fetch and a retry.
	s.ExpireTokens()
	if _, err := c.Help(ctx, nil, HelpQuery{}); err != nil {
		t.Fatalf("after 401: %v", err)
	}
	if n := len(s.CallsTo("/auth/v1/tokens")); n != 3 {
		t.Fatalf("token requests = %d, want 3 (re-fetched on 401)", n)
	}
}

func TestWrongPasswordIsSt2sFaultstring(t *testing.T) {
	s := newFake(t, nil)
	c := newClient(s, nil)
	c.Auth = &PasswordAuth{Client: c, Username: "bot", Password: "wrong"}
	_, err := c.Help(context.Background(), nil, HelpQuery{})
	if got := userError(err).Error(); !IsUnauthorized(err) || got != "opsgate error: code=unauthorized message=Invalid or missing credentials" {
		t.Fatalf("err = %v / %v", err, got)
	}
}

func TestStaticTokenAndAPIKeyHeaders(t *testing.T) {
	s := newFake(t, nil)
	c := newClient(s, nil)
	tok := s.IssueToken("alice", time.Hour)
	ctx := context.Background()
	if u, err := c.Whoami(ctx, &StaticAuth{Cred: Credential{Kind: KindToken, Value: tok}}); err != nil || u != "alice" {
		t.Fatalf("token whoami = %q, %v", u, err)
	}
	if u, err := c.Whoami(ctx, &StaticAuth{Cred: Credential{Kind: KindAPIKey, Value: "alice-key"}}); err != nil || u != "alice" {
		t.Fatalf("api key whoami = %q, %v", u, err)
	}
	calls := s.CallsTo("/api/v1/user")
	last := calls[len(calls)-1]
	if last.Header.Get("St2-Api-Key") != "alice-key" || last.Header.Get("X-Auth-Token") != "" {
		t.Fatalf("api key call headers: %v", last.Header)
	}
	// A static token st2 refuses stays refused: no retry loop.
	s.ExpireTokens()
	_, err := c.Whoami(ctx, &StaticAuth{Cred: Credential{Kind: KindToken, Value: tok}})
	if e, ok := err.(*APIError); !ok || e.Faultstring != "Unauthorized - Token has expired." {
		t.Fatalf("expired static token: %v", err)
	}
}

func TestServiceUserTokens(t *testing.T) {
	s := newFake(t, nil)
	c := newClient(s, nil)
	ctx := context.Background()
	a := &PasswordAuth{Client: c, Username: "svc", Password: "svcpw", Impersonate: "alice"}
	if u, err := c.Whoami(ctx, a); err != nil || u != "alice" {
		t.Fatalf("service user token for alice: %q %v", u, err)
	}
	n := &PasswordAuth{Client: c, Username: "svc", Password: "svcpw", Impersonate: "alice-chat", NicknameOrigin: "terminal"}
	if u, err := c.Whoami(ctx, n); err != nil || u != "alice" {
		t.Fatalf("nickname token: %q %v", u, err)
	}
	notService := &PasswordAuth{Client: c, Username: "bot", Password: "botpw", Impersonate: "alice"}
	_, err := c.Whoami(ctx, notService)
	if e, ok := err.(*APIError); !ok || e.Status != 400 || e.Faultstring != "Current user is not a service and cannot request impersonated tokens" {
		t.Fatalf("non-service impersonation: %v", err)
	}
}
