package http_test

import (
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	oghttp "github.com/opsgate/opsgate/http"
	"github.com/opsgate/opsgate/metrics"
)

// A page elsewhere must not make a visitor's browser post to an opsgate form; opsgate's own
// page, and clients that are not browsers, still can.
func TestFormRefusesCrossOriginPosts(t *testing.T) {
	srv := oghttp.NewServer("127.0.0.1:0", nil)
	posts := 0
	srv.HandleForm("test_form", "/form", nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.Method == "POST" {
			posts++
		}
		io.WriteString(w, "ok")
	}))
	if err := srv.TrustOrigin("https://opsgate.example.com"); err != nil {
		t.Fatal(err)
	}
	if err := srv.TrustOrigin("opsgate.example.com/login"); err == nil {
		t.Fatal("a trusted origin that is not scheme://host was accepted")
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	send := func(method string, h map[string]string) (int, string) {
		req, _ := nethttp.NewRequest(method, ts.URL+"/form", strings.NewReader("uuid=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := nethttp.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	refused := func() float64 {
		return testutil.ToFloat64(metrics.FormsRefused.WithLabelValues("test_form", "cross_origin"))
	}
	before := refused()
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		{"Sec-Fetch-Site": "same-site", "Origin": "https://other.example.com"},
		{"Origin": "https://evil.example"}, // a browser without Sec-Fetch-Site
	} {
		if code, body := send("POST", h); code != 403 || !strings.Contains(body, "Cross-origin") || strings.Count(body, "\n") != 1 {
			t.Fatalf("%v: %d %q", h, code, body)
		}
	}
	if posts != 0 || refused() != before+3 {
		t.Fatalf("posts reached the form: %d; refusals counted %v, want %v", posts, refused()-before, 3)
	}
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "same-origin", "Origin": ts.URL},
		{"Origin": ts.URL},
		{"Sec-Fetch-Site": "cross-site", "Origin": "https://opsgate.example.com"}, // trusted: the public URL behind a proxy
		{}, // not a browser
	} {
		if code, body := send("POST", h); code != 200 || body != "ok" {
			t.Fatalf("%v: %d %q", h, code, body)
		}
	}
	// Showing the form is always allowed (links are followed from chat, another site).
	if code, _ := send("GET", map[string]string{"Sec-Fetch-Site": "cross-site"}); code != 200 {
		t.Fatalf("GET: %d", code)
	}
}
