package webex_test

import (
	"encoding/base64"
	"testing"
)

func mustDecode(t *testing.T, id string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
