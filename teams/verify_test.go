package teams_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate/metrics"
	"github.com/opsgate/opsgate/teams"
	"github.com/opsgate/opsgate/teamsfake"
)

const (
	appID    = "9f1b2c3d-aaaa-bbbb-cccc-000000000001"
	password = "app-password-do-not-leak"
	tenant   = "11111111-2222-3333-4444-555555555555"
)

// clock is a settable clock shared by the fake and the code under test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newFake(t testing.TB) (*teamsfake.Server, *clock) {
	t.Helper()
	f := teamsfake.New(appID, password, tenant)
	t.Cleanup(f.Close)
	c := &clock{now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	f.Now = c.Now
	return f, c
}

func newVerifier(f *teamsfake.Server, c *clock) *teams.Verifier {
	v := teams.NewVerifier(appID, f.OpenIDURL(), f.Client())
	v.Now = c.Now
	return v
}

// verify checks the activity a (as the fake builds it) with a token made per forges.
func verify(t testing.TB, v *teams.Verifier, f *teamsfake.Server, a map[string]any, forges ...teamsfake.Forge) error {
	t.Helper()
	body := teamsfake.Marshal(a)
	act, err := teams.ParseActivity(body)
	if err != nil {
		t.Fatal(err)
	}
	req := f.Request("http://opsgate.test/api/plugins/chatops/ms_teams/messages/", body, forges...)
	return v.Verify(context.Background(), req.Header.Get("Authorization"), act)
}

func TestVerifyAcceptsGenuineActivity(t *testing.T) {
	f, c := newFake(t)
	v := newVerifier(f, c)
	if err := verify(t, v, f, f.Message("whoami")); err != nil {
		t.Fatalf("genuine activity refused: %v", err)
	}
	// Microsoft's documentation spells the claim serviceUrl; the SDKs send serviceurl.
	if err := verify(t, v, f, f.Message("whoami"), teamsfake.WithCamelServiceURL()); err != nil {
		t.Fatalf("serviceUrl (camel case) claim refused: %v", err)
	}
	// Within the 5-minute skew.
	if err := verify(t, v, f, f.Message("x"), teamsfake.WithExpiry(c.Now().Add(-4*time.Minute))); err != nil {
		t.Fatalf("token expired 4 minutes ago refused: %v", err)
	}
	if err := verify(t, v, f, f.Message("x"), teamsfake.WithNotBefore(c.Now().Add(4*time.Minute))); err != nil {
		t.Fatalf("token valid in 4 minutes refused: %v", err)
	}
}

func TestVerifyRefusesEachForgery(t *testing.T) {
	f, c := newFake(t)
	v := newVerifier(f, c)
	other := f.Message("whoami")
	other["channelId"] = "slack"
	cases := []struct {
		name     string
		activity map[string]any
		forges   []teamsfake.Forge
		reason   string
		status   int
	}{
		{"unsigned", nil, []teamsfake.Forge{teamsfake.Unsigned()}, teams.ReasonUnsigned, 401},
		{"unknown key", nil, []teamsfake.Forge{teamsfake.UnknownKey()}, teams.ReasonUnknownKey, 403},
		{"bad signature", nil, []teamsfake.Forge{teamsfake.WrongKey()}, teams.ReasonBadSignature, 403},
		{"HS256 keyed with the public key", nil, []teamsfake.Forge{teamsfake.HMACWithPublicKey()}, teams.ReasonBadAlgorithm, 403},
		{"RS384 when the metadata lists RS256 only", nil, []teamsfake.Forge{teamsfake.WithAlgorithm("RS384")}, teams.ReasonBadAlgorithm, 403},
		{"wrong audience", nil, []teamsfake.Forge{teamsfake.WithAudience("another-bot")}, teams.ReasonWrongAudience, 403},
		{"wrong issuer", nil, []teamsfake.Forge{teamsfake.WithIssuer("https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/")}, teams.ReasonWrongIssuer, 403},
		{"expired", nil, []teamsfake.Forge{teamsfake.WithExpiry(c.Now().Add(-6 * time.Minute))}, teams.ReasonExpired, 403},
		{"not yet valid", nil, []teamsfake.Forge{teamsfake.WithNotBefore(c.Now().Add(6 * time.Minute))}, teams.ReasonNotYetValid, 403},
		{"service URL mismatch", nil, []teamsfake.Forge{teamsfake.WithServiceURL("https://attacker.example/")}, teams.ReasonServiceURLMismatch, 403},
		{"no service URL claim", nil, []teamsfake.Forge{teamsfake.WithServiceURL("")}, teams.ReasonServiceURLMismatch, 403},
		{"missing endorsement", other, nil, teams.ReasonMissingEndorsement, 403},
		{"no exp", nil, []teamsfake.Forge{teamsfake.WithoutClaim("exp")}, teams.ReasonExpired, 403},
		{"no aud", nil, []teamsfake.Forge{teamsfake.WithoutClaim("aud")}, teams.ReasonWrongAudience, 403},
		{"no iss", nil, []teamsfake.Forge{teamsfake.WithoutClaim("iss")}, teams.ReasonWrongIssuer, 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.activity
			if a == nil {
				a = f.Message("whoami")
			}
			counter := metrics.RequestsRejected.WithLabelValues("teams", tc.reason)
			before := testutil.ToFloat64(counter)
			err := verify(t, v, f, a, tc.forges...)
			var ve *teams.VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("accepted or wrong error type: %v", err)
			}
			if ve.Reason != tc.reason || ve.Status != tc.status {
				t.Fatalf("reason %q status %d, want %q %d (%s)", ve.Reason, ve.Status, tc.reason, tc.status, ve.Message)
			}
			if got := testutil.ToFloat64(counter); got != before+1 {
				t.Fatalf("rejection counted %v times, want 1", got-before)
			}
			if ve.Message == "" || len(ve.Message) > 120 {
				t.Fatalf("message is not one short line: %q", ve.Message)
			}
		})
	}
}

func TestVerifyAcceptsAlgorithmsTheMetadataLists(t *testing.T) {
	f, c := newFake(t)
	f.SetAlgorithms("RS256", "RS384", "RS512")
	v := newVerifier(f, c)
	for _, alg := range []string{"RS256", "RS384", "RS512"} {
		if err := verify(t, v, f, f.Message("x"), teamsfake.WithAlgorithm(alg)); err != nil {
			t.Fatalf("%s refused: %v", alg, err)
		}
	}
	f.SetAlgorithms("RS256", "HS256", "ES256")
	v = newVerifier(f, c)
	if err := verify(t, v, f, f.Message("x"), teamsfake.HMACWithPublicKey()); err == nil {
		t.Fatal("HS256 accepted because the metadata listed it")
	}
}

func TestVerifyKeyWithoutEndorsementsServesAnyChannel(t *testing.T) {
	f, c := newFake(t)
	f.SetEndorsements(nil)
	v := newVerifier(f, c)
	a := f.Message("x")
	a["channelId"] = "webchat"
	if err := verify(t, v, f, a); err != nil {
		t.Fatalf("refused: %v", err)
	}
	f2, c2 := newFake(t)
	f2.SetEndorsements([]string{})
	if err := verify(t, newVerifier(f2, c2), f2, f2.Message("x")); err == nil {
		t.Fatal("a key endorsing no channel verified a msteams activity")
	}
}

func TestVerifyCachesKeys(t *testing.T) {
	f, c := newFake(t)
	v := newVerifier(f, c)
	for range 20 {
		if err := verify(t, v, f, f.Message("x")); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.JWKSFetches(); n != 1 {
		t.Fatalf("20 messages fetched the keys %d times, want 1", n)
	}
	f.RotateKey()
	for range 20 {
		if err := verify(t, v, f, f.Message("x")); err != nil {
			t.Fatalf("message signed with a new key refused: %v", err)
		}
	}
	if n := f.JWKSFetches(); n != 2 {
		t.Fatalf("a new kid led to %d fetches in all, want 2", n)
	}
	c.Add(teams.KeyMaxAge)
	if err := verify(t, v, f, f.Message("x")); err != nil {
		t.Fatal(err)
	}
	if n := f.JWKSFetches(); n != 3 {
		t.Fatalf("keys older than %v not refetched: %d fetches", teams.KeyMaxAge, n)
	}
}

func TestVerifyUnknownKidFloodIsRateLimited(t *testing.T) {
	f, c := newFake(t)
	v := newVerifier(f, c)
	for range 50 {
		if err := verify(t, v, f, f.Message("x"), teamsfake.UnknownKey()); err == nil {
			t.Fatal("unknown key accepted")
		}
	}
	if n := f.JWKSFetches(); n != 2 {
		t.Fatalf("50 unknown-kid tokens caused %d key fetches, want 2 (first load and one refetch)", n)
	}
	// A real rotation after the interval is still picked up.
	c.Add(teams.RefetchInterval)
	f.RotateKey()
	if err := verify(t, v, f, f.Message("x")); err != nil {
		t.Fatalf("rotated key refused after the refetch interval: %v", err)
	}
}

func TestVerifyKeysUnavailable(t *testing.T) {
	f, c := newFake(t)
	v := teams.NewVerifier(appID, f.URL+"/nowhere", f.Client())
	v.Now = c.Now
	err := verify(t, v, f, f.Message("x"))
	var ve *teams.VerifyError
	if !errors.As(err, &ve) || ve.Reason != teams.ReasonKeysUnavailable || ve.Status != http.StatusServiceUnavailable {
		t.Fatalf("got %v", err)
	}
}

// genuine returns a message activity and the Authorization header the Bot Connector sends with it.
func genuine(f *teamsfake.Server) (*teams.Activity, string) {
	act, err := teams.ParseActivity(teamsfake.Marshal(f.Message("whoami")))
	if err != nil {
		panic(err)
	}
	return act, f.Token(f.ServiceURL())
}

func BenchmarkVerifyCachedKey(b *testing.B) {
	f, c := newFake(b)
	v := newVerifier(f, c)
	act, auth := genuine(f)
	ctx := context.Background()
	if err := v.Verify(ctx, auth, act); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := v.Verify(ctx, auth, act); err != nil {
			b.Fatal(err)
		}
	}
}

func TestVerifyConcurrentFirstMessagesFetchKeysOnce(t *testing.T) {
	f, c := newFake(t)
	v := newVerifier(f, c)
	act, auth := genuine(f)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := v.Verify(context.Background(), auth, act); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := f.JWKSFetches(); n != 1 {
		t.Fatalf("20 concurrent first messages fetched the keys %d times", n)
	}
}

func TestVerifyRefusesMalformedHeaders(t *testing.T) {
	f, c := newFake(t)
	v := newVerifier(f, c)
	act, _ := teams.ParseActivity(teamsfake.Marshal(f.Message("x")))
	for auth, reason := range map[string]string{
		"":                                teams.ReasonUnsigned,
		"Basic dXNlcjpwdw==":              teams.ReasonUnsigned,
		"Bearer ":                         teams.ReasonUnsigned,
		"Bearer not.a.jwt":                teams.ReasonMalformed,
		"Bearer eyJhbGciOiJub25lIn0.e30.": teams.ReasonBadAlgorithm,
	} {
		var ve *teams.VerifyError
		if err := v.Verify(context.Background(), auth, act); !errors.As(err, &ve) || ve.Reason != reason {
			t.Errorf("%q: %v, want %s", auth, err, reason)
		}
	}
}
