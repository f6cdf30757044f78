package access_test

import (
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate/access"
)

// Expiry decides on the instant, whatever the date: "expires 9999-12-31" is how admins write
// "practically never", and a grant at 1970-01-01 expired long ago. Exact and glob grants agree.
func TestExpiryFarFromNow(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		expires time.Time
		allowed bool
	}{
		{time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), true},
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Unix(0, 0).UTC(), false},
		{time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		gs := table("* * organization * any", "* * channel * any", "dns flush user U1", "dns get-* user U1")
		gs[2].ExpiresAt, gs[3].ExpiresAt = &tc.expires, &tc.expires
		a := access.New(gs)
		a.Now = func() time.Time { return now }
		for _, sub := range []string{"flush", "get-records", ""} {
			if d := a.Decide(subject("T", "C", "U1"), "dns", sub); d.Allowed != tc.allowed {
				t.Errorf("grant expiring %s, dns %q at %s: allowed=%v, want %v", tc.expires, sub, now, d.Allowed, tc.allowed)
			}
		}
	}
}

// A denial caused by an expired grant says so: the admin sees which grant lapsed and when,
// not only "no grant matches".
func TestExplainNamesExpiredGrant(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	past := now.Add(-time.Hour)
	gs := table("* * organization * any", "* * channel * any", "dns get-* user U1", "dns flush user U2")
	gs[2].ExpiresAt, gs[3].ExpiresAt = &past, &past
	a := access.New(gs)
	a.Now = func() time.Time { return now }
	d := a.Decide(subject("T", "C", "U1"), "dns", "get-records")
	if d.Allowed || d.Expired != 3 {
		t.Fatalf("decision %+v, want denied with expired grant 3", d)
	}
	out := access.Explain(d, gs)
	if !strings.Contains(out, "grant 3 (command dns, subcommand get-*, value U1) matches but expired at 2026-11-22T11:00:00Z") {
		t.Errorf("explain:\n%s", out)
	}
	d = a.Decide(subject("T", "C", "U2"), "dns", "flush")
	if d.Expired != 4 {
		t.Errorf("exact grant: %+v", d)
	}
	if d = a.Decide(subject("T", "C", "U3"), "dns", "flush"); d.Expired != 0 || strings.Contains(access.Explain(d, gs), "expired") {
		t.Errorf("no expired grant for U3: %+v", d)
	}
}
