package http_test

import (
	"context"
	"encoding/json"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/access"
	oghttp "github.com/opsgate/opsgate/http"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

func postGrant(t *testing.T, url, token, body string) (int, map[string]any) {
	t.Helper()
	return sendJSON(t, "POST", url+"/api/v1/grants", token, body)
}

// sendJSON sends body with the bearer token and decodes the JSON object answered.
func sendJSON(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := nethttp.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := nethttp.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// The API creates grants by the same rules as the CLI: subcommand defaults to *, and a platform
// must be a chat platform opsgate knows (here none is linked in but the token kind "admin").
func TestAPIGrantDefaultsAndPlatformCheck(t *testing.T) {
	url, _, token := adminAPI(t)
	code, g := postGrant(t, url, token, `{"command":"dns","type":"user","value":"U1"}`)
	if code != 201 || g["subcommand"] != "*" {
		t.Errorf("grant without subcommand: %d %v", code, g)
	}
	for body, want := range map[string]string{
		`{"command":"dns","type":"user","value":"U1","platform":"slak"}`:    `Platform "slak" is not a chat platform opsgate knows`,
		`{"command":"dns","type":"user","value":"U1","platform":"admin"}`:   `Platform "admin" is not a chat platform`,
		`{"command":"dns","subcommand":"get-[","type":"user","value":"U1"}`: `subcommand "get-[" is not a valid pattern`,
	} {
		if code, got := postGrant(t, url, token, body); code != 400 || !strings.Contains(got["error"].(string), want) {
			t.Errorf("%s: %d %v; want 400 %q", body, code, got, want)
		}
	}
}

// A malformed body is answered in the API's terms: JSON field names and kinds, no Go types.
func TestAPIGrantBodyErrorsInWords(t *testing.T) {
	url, _, token := adminAPI(t)
	for body, want := range map[string]string{
		`{"command":5}`:             `Request body is not a grant: field "command" must be a string, not a number.`,
		`{"id":"x"}`:                `Request body is not a grant: field "id" must be a whole number, not a string.`,
		`[1]`:                       `Request body is not a grant: the body must be a JSON object, not a list.`,
		`{"expires_at":"soon"}`:     `Request body is not a grant: "soon" is not an RFC 3339 time like 2030-01-02T15:04:05Z.`,
		`{"command":"x","owner":1}`: `Request body is not a grant: unknown field "owner".`,
	} {
		code, got := postGrant(t, url, token, body)
		if msg, _ := got["error"].(string); code != 400 || msg != want {
			t.Errorf("%s: %d %q; want %q", body, code, msg, want)
		}
	}
}

// The fix in a denied check is a grant to create: only the fields one would send, no id 0,
// zero creation time or empty name.
func TestAPICheckFixOmitsEmptyFields(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	tokens := store.NewTokenService(db)
	token, _ := tokens.CreateToken(context.Background(), &opsgate.CommandToken{Platform: oghttp.AdminPlatform}, "")
	srv := oghttp.NewServer("127.0.0.1:0", nil)
	(&oghttp.API{Grants: store.NewGrantService(db), Tokens: tokens, Audit: store.NewAuditService(db),
		CommandLog: store.NewCommandLogService(db), Auth: access.New(nil)}).Register(srv)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	code, _, out := get(t, ts.URL+"/api/v1/access/check?org=T1&channel=C1&user=U1&command=dns", token)
	fix, _ := out["fix"].(map[string]any)
	if code != 200 || len(fix) != 4 || fix["command"] != "dns" || fix["subcommand"] != "*" || fix["type"] != "organization" || fix["value"] != "T1" {
		t.Errorf("fix: %d %v", code, out)
	}
}
