package http_test

import (
	"context"
	"encoding/json"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"testing"

	"github.com/opsgate/opsgate"
	oghttp "github.com/opsgate/opsgate/http"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// adminAPI serves the admin API over a real SQLite store and returns its URL, the database and an
// admin token.
func adminAPI(t *testing.T) (string, *store.DB, string) {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	tokens := store.NewTokenService(db)
	token, err := tokens.CreateToken(context.Background(), &opsgate.CommandToken{Platform: oghttp.AdminPlatform}, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := oghttp.NewServer("127.0.0.1:0", nil)
	grants := store.NewGrantService(db)
	grants.Platform = kit.ChatPlatform // as opsgate wires it
	(&oghttp.API{Grants: grants, Tokens: tokens, Audit: store.NewAuditService(db),
		CommandLog: store.NewCommandLogService(db)}).Register(srv)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL, db, token
}

func get(t *testing.T, url, bearer string) (int, nethttp.Header, map[string]any) {
	t.Helper()
	req, _ := nethttp.NewRequest("GET", url, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := nethttp.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(b, &out)
	return resp.StatusCode, resp.Header, out
}

// When the token store cannot answer, a valid admin token is not "unknown": the caller is told
// the service is unavailable (503, worth retrying), not that their credential is wrong (401).
func TestAdminTokenCheckOutageIsNotUnauthorized(t *testing.T) {
	url, db, token := adminAPI(t)
	if code, _, out := get(t, url+"/api/v1/grants", token); code != 200 {
		t.Fatalf("with the database up: %d %v", code, out)
	}
	if code, _, _ := get(t, url+"/api/v1/grants", "wrong"); code != 401 {
		t.Fatalf("wrong token: %d", code)
	}
	db.Close()
	code, _, out := get(t, url+"/api/v1/grants", token)
	if code != 503 || out["error"] == "Unknown admin token." {
		t.Fatalf("with the database down: %d %v, want 503", code, out)
	}
}
