package mattermost

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Without public_url, the integration URL of buttons and dialogs is learnt from an authenticated
// slash command. A later request with another Host header (anyone who knows one command token)
// must not redirect every user's clicks, and the prompt tokens they carry, to another server.
func TestIntegrationURLCannotBeRedirected(t *testing.T) {
	e := newEnv(t, false)
	e.slash("u1", "/site", "")
	e.Next()
	ctx1, _ := menuOf(t, e.mm.waitCalls(t, "POST", "/api/v4/posts/ephemeral", 1)[0])

	req, _ := http.NewRequest("POST", e.srv.URL+PathSlashCommand, strings.NewReader(slashForm("u2", "/network", "x", "").Encode()))
	req.Host = "evil.example"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Token "+cmdToken)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	e.Next()

	// The next page of u1's menu, sent after the poisoning request, still points here.
	e.act("u1", with(ctx1, "selected_option", nextValue))
	e.Next()
	p := e.mm.waitCalls(t, "POST", "/api/v4/posts/ephemeral", 2)[1]
	props := p.Body["post"].(map[string]any)["props"].(map[string]any)
	for _, a := range props["attachments"].([]any) {
		for _, act := range a.(map[string]any)["actions"].([]any) {
			if u := act.(map[string]any)["integration"].(map[string]any)["url"]; u != e.srv.URL+PathInteraction {
				t.Fatalf("menu posts clicks to %v, want %s", u, e.srv.URL+PathInteraction)
			}
		}
	}
}
