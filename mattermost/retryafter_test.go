package mattermost

import (
	"testing"
	"time"
)

// A platform asking for a huge Retry-After cannot park a delivery for hours.
func TestRetryAfterIsCapped(t *testing.T) {
	if d, ok := retryAfter(&apiError{Status: 429, retryAfter: 6 * time.Hour}, 1); !ok || d != maxRetryAfter {
		t.Fatalf("got %v %v, want %v", d, ok, maxRetryAfter)
	}
	if d, _ := retryAfter(&apiError{Status: 429, retryAfter: 3 * time.Second}, 1); d != 3*time.Second {
		t.Fatalf("a short Retry-After must be honoured as is, got %v", d)
	}
}
