package main

import (
	"net/http"
	"strings"
	"testing"
)

// postWebhook posts body to the running server's /chatops/message with the bearer token and
// returns the status.
func postWebhook(t *testing.T, base, token, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/chatops/message", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
