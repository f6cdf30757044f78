package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// bearerCall returns a function that calls the running server at base with the bearer token
// and returns the status and body.
func bearerCall(t *testing.T, base, tok string) func(method, path, body string) (int, string) {
	return func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
}
