package stackstorm

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A redirect from the st2 API to another host (a misconfigured proxy, a compromised endpoint)
// must not carry the user's st2 token or API key there: Go strips only Authorization and Cookie.
func TestClientCredentialsNotSentToAnotherHost(t *testing.T) {
	var leaked atomic.Value
	leaked.Store("")
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("X-Auth-Token") + r.Header.Get("St2-Api-Key"))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[]`))
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer api.Close()
	c := &Client{APIURL: api.URL + "/api/v1"}
	c.HTTP, c.StreamHTTP = NewHTTPClients(true, 5*time.Second)
	for _, cred := range []Credential{{Kind: KindToken, Value: "user-token-123"}, {Kind: KindAPIKey, Value: "user-key-456"}} {
		_, _, _ = c.ListAliases(context.Background(), &StaticAuth{Cred: cred}, 1, 0)
		if got := leaked.Load().(string); got != "" {
			t.Fatalf("%s sent to another host on redirect: %q", cred.Kind, got)
		}
	}
}
