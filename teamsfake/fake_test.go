package teamsfake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opsgate/opsgate/teamsfake"
)

// The token endpoint speaks Entra's protocol: form-encoded client credentials, errors as JSON
// with an AADSTS code.
func TestTokenEndpointChecksTheForm(t *testing.T) {
	f := teamsfake.New("app", "pw", "tenant-1")
	t.Cleanup(f.Close)
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {"pw"}, "scope": {"https://api.botframework.com/.default"}}
	cases := []struct {
		name   string
		change func(url.Values)
		ctype  string
		status int
		code   string
	}{
		{"ok", func(url.Values) {}, "application/x-www-form-urlencoded", 200, ""},
		{"json body", func(url.Values) {}, "application/json", 400, "invalid_request"},
		{"wrong secret", func(v url.Values) { v.Set("client_secret", "nope") }, "application/x-www-form-urlencoded", 401, "invalid_client"},
		{"wrong client", func(v url.Values) { v.Set("client_id", "other") }, "application/x-www-form-urlencoded", 400, "unauthorized_client"},
		{"wrong scope", func(v url.Values) { v.Set("scope", "https://graph.microsoft.com/.default") }, "application/x-www-form-urlencoded", 400, "invalid_scope"},
		{"wrong grant", func(v url.Values) { v.Set("grant_type", "password") }, "application/x-www-form-urlencoded", 400, "unsupported_grant_type"},
	}
	for _, tc := range cases {
		v := url.Values{}
		for k, x := range good {
			v[k] = append([]string(nil), x...)
		}
		tc.change(v)
		resp, err := http.Post(f.TokenURL(), tc.ctype, strings.NewReader(v.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.code != "" && body["error"] != tc.code) || (tc.code == "" && body["access_token"] == nil) {
			t.Errorf("%s: %d %v", tc.name, resp.StatusCode, body)
		}
	}
}

func TestConnectorRefusesUnknownToken(t *testing.T) {
	f := teamsfake.New("app", "pw", "")
	t.Cleanup(f.Close)
	req, _ := http.NewRequest("POST", f.ServiceURL()+"v3/conversations/19:x/activities", strings.NewReader(`{"type":"message"}`))
	req.Header.Set("Authorization", "Bearer made-up")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || len(f.Posted()) != 0 {
		t.Fatalf("status %d, posted %d", resp.StatusCode, len(f.Posted()))
	}
}
