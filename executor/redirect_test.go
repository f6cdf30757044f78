package executor

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/opsgate/opsgate"
)

// The alias file fixes the host a request goes to; a redirect (the server's, or an open redirect
// on it reached through a templated path) must not carry the request, and the secret headers
// and body that go with it, to another host.
func TestHTTPRedirectToAnotherHostNotFollowed(t *testing.T) {
	var evilHits atomic.Int32
	var leaked atomic.Value
	leaked.Store("")
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilHits.Add(1)
		leaked.Store(r.Header.Get("X-Api-Key"))
		io.WriteString(w, "evil")
	}))
	defer evil.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/goto":
			http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusFound)
		case "/moved":
			http.Redirect(w, r, "/here", http.StatusMovedPermanently)
		case "/here":
			io.WriteString(w, "key="+r.Header.Get("X-Api-Key"))
		}
	}))
	defer api.Close()
	e := &Executor{Resolve: secrets(map[string]string{"api_key": "k-secret-123"})}
	spec := map[string]any{"runner": "http", "url": api.URL + "/{{ path }}", "headers": map[string]any{"X-Api-Key": "${secret:api_key}"}}

	res := run(t, e, spec, map[string]string{"path": "goto?u=" + evil.URL + "/steal"})
	if evilHits.Load() != 0 || leaked.Load() != "" {
		t.Fatalf("the request followed a redirect to another host (secret header %q)", leaked.Load())
	}
	if res.Status != opsgate.StatusFailed || res.Output["status_code"] != http.StatusFound {
		t.Fatalf("a refused redirect should be a failed result with its 302: %+v", res.Output)
	}

	// Redirects within the configured host are followed as before.
	res = run(t, e, spec, map[string]string{"path": "moved"})
	if res.Status != opsgate.StatusSucceeded || res.Output["body"] != "key=k-secret-123" {
		t.Fatalf("same-host redirect: %+v", res.Output)
	}
}
