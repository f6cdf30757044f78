package main

import (
	"net/http"
	"testing"

	"github.com/opsgate/opsgate/kit/kittest"
)

// postWebhook posts body to the running server's /chatops/message with the bearer token and
// returns the status.
func postWebhook(t *testing.T, base, token, body string) int {
	t.Helper()
	code, _ := kittest.Post(t, base+"/chatops/message", "application/json", body, http.Header{"Authorization": {"Bearer " + token}})
	return code
}
