package mattermost

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opsgate/opsgate"
)

// A Mattermost stand-in answering the REST v4 look-ups as Mattermost documents them.
func TestLookup(t *testing.T) {
	mux := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer mm-token" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /api/v4/users/username/{name}", auth(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("name") != "alice" {
			http.Error(w, `{"id":"app.user.missing_account.const","status_code":404}`, http.StatusNotFound)
			return
		}
		w.Write([]byte(`{"id":"u1alice","username":"alice","email":"alice@example.com"}`))
	}))
	mux.HandleFunc("GET /api/v4/users/email/{email}", auth(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":"u1alice","username":"alice"}`))
	}))
	mux.HandleFunc("GET /api/v4/teams/name/{team}/channels/name/{channel}", auth(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("team") != "ops" || r.PathValue("channel") != "town-square" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Write([]byte(`{"id":"ch1","name":"town-square","display_name":"Town Square"}`))
	}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	for _, c := range []struct{ kind, name, id, code string }{
		{"user", "@Alice", "u1alice", ""},
		{"user", "alice@example.com", "u1alice", ""},
		{"user", "bob", "", opsgate.ENOTFOUND},
		{"channel", "ops/town-square", "ch1", ""},
		{"channel", "town-square", "", opsgate.EINVALID},
	} {
		id, _, err := Lookup(ctx, srv.Client(), srv.URL, "mm-token", c.kind, c.name)
		if id != c.id || opsgate.ErrorCode(err) != c.code {
			t.Errorf("Lookup(%s %q) = %q, %v; want %q, code %q", c.kind, c.name, id, err, c.id, c.code)
		}
	}
	if _, _, err := Lookup(ctx, srv.Client(), srv.URL, "wrong", "user", "alice"); opsgate.ErrorCode(err) != opsgate.EINTERNAL {
		t.Errorf("refused token: %v, want an internal error said in words", err)
	}
}
