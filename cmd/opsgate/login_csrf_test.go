package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A page on another site that makes a visitor's browser post to the login page (a login link
// leaked, or the attacker's own link, binding their credentials to the victim) is refused, counted
// in /metrics, and leaves the link usable from opsgate's own page.
func TestLoginRefusesCrossSitePost(t *testing.T) {
	s := newSt2(t)
	dsn := sqliteDSN(t)
	addGrants(t, dsn, st2Grants)
	addr := freePort(t)
	cfg := st2Config(t, s, fmt.Sprintf("  public_url: http://%s\n  encryption_key: %s\n", addr, testKey))
	base := startServerConfig(t, dsn, cfg, addr)
	dm := startChat(t, dsn, cfg, "--org", "acme", "--channel", "D1", "--direct", "--user", "alice", "--user-name", "Alice")
	dm.say(t, "st2session")
	waitFor(t, "link", func() bool { return linkRe.MatchString(dm.out.String()) })
	link, _ := url.Parse(linkRe.FindString(dm.out.String()))

	submit := func(h map[string]string) (int, string) {
		form := url.Values{"uuid": {link.Query().Get("uuid")}, "method": {"api_key"}, "api_key": {"alice-key"}}
		req, _ := http.NewRequest("POST", base+"/stackstorm/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const series = `opsgate_form_refused_total{form="stackstorm_login",reason="cross_origin"}`
	_, m := get(t, base+"/metrics")
	before := metricValue(m, series)
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		{"Origin": "https://evil.example"},
	} {
		if code, body := submit(h); code != http.StatusForbidden || !strings.Contains(body, "Cross-origin") {
			t.Fatalf("cross-site post %v: %d %q", h, code, body)
		}
	}
	if _, m = get(t, base+"/metrics"); metricValue(m, series) != before+2 {
		t.Fatalf("%s = %v, want %v", series, metricValue(m, series), before+2)
	}
	// Nothing was bound, and the link still works from its own page.
	if code, body := submit(map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://" + addr}); code != 200 ||
		!strings.Contains(body, "logged in to StackStorm") {
		t.Fatalf("same-origin post: %d %s", code, body)
	}
}
