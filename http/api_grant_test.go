package http_test

import (
	"encoding/json"
	"io"
	nethttp "net/http"
	"strings"
	"testing"
)

func postGrant(t *testing.T, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := nethttp.NewRequest("POST", url+"/api/v1/grants", strings.NewReader(body))
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
