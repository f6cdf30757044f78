package mattermost

import (
	"testing"
	"time"

	"github.com/opsgate/opsgate/kit"
)

// A platform asking for a huge Retry-After cannot park a delivery for hours.
func TestRetryAfterIsCapped(t *testing.T) {
	retryAfter := New(Options{}).retrier().Wait
	if d, ok := retryAfter(&apiError{Status: 429, retryAfter: 6 * time.Hour}, 1); !ok || d != kit.MaxRetryAfter {
		t.Fatalf("got %v %v, want %v", d, ok, kit.MaxRetryAfter)
	}
	if d, _ := retryAfter(&apiError{Status: 429, retryAfter: 3 * time.Second}, 1); d != 3*time.Second {
		t.Fatalf("a short Retry-After must be honoured as is, got %v", d)
	}
}
