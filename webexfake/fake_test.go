package webexfake_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/opsgate/opsgate/webexfake"
)

func do(t *testing.T, method, url, token, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

func TestStandIn(t *testing.T) {
	f := webexfake.New(t)
	if resp, body := do(t, "GET", f.URL+"/people/me", "wrong", ""); resp.StatusCode != 401 || body["message"] == "" || body["trackingId"] == "" {
		t.Errorf("wrong token: %d %v, want 401 with Webex's error body", resp.StatusCode, body)
	}
	if resp, body := do(t, "GET", f.URL+"/people/me", webexfake.Token, ""); resp.StatusCode != 200 || body["id"] != f.Bot.ID || body["type"] != "bot" {
		t.Errorf("people/me: %d %v", resp.StatusCode, body)
	}
	f.RateLimit("GET /v1/people/me", 7)
	if resp, _ := do(t, "GET", f.URL+"/people/me", webexfake.Token, ""); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("rate limited: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	room := f.GroupRoom()
	for _, c := range []struct{ body, want string }{
		{`{"markdown":"hi"}`, "Exactly one of"},
		{`{"roomId":"` + room + `","toPersonEmail":"a@b.c","markdown":"hi"}`, "Exactly one of"},
		{`{"roomId":"` + room + `","markdown":"` + strings.Repeat("x", 7440) + `"}`, "7439"},
		{`{"roomId":"` + room + `","markdown":"x","attachments":[{"contentType":"text/plain","content":{}}]}`, "contentType"},
		{`{"roomId":"` + room + `","markdown":"x","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.3","actions":[{},{},{},{},{},{}]}}]}`, "up to 5"},
	} {
		if resp, body := do(t, "POST", f.URL+"/messages", webexfake.Token, c.body); resp.StatusCode != 400 || !strings.Contains(body["message"].(string), c.want) {
			t.Errorf("%s: %d %v, want 400 mentioning %q", c.body[:min(60, len(c.body))], resp.StatusCode, body["message"], c.want)
		}
	}
	resp, body := do(t, "POST", f.URL+"/messages", webexfake.Token, `{"roomId":"`+room+`","markdown":"`+strings.Repeat("x", 7439)+`"}`)
	if resp.StatusCode != 200 || body["personId"] != f.Bot.ID || len(f.Posted()) != 1 {
		t.Errorf("a 7439-byte message: %d %v", resp.StatusCode, body["message"])
	}
}
