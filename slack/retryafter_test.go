package slack

import (
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/opsgate/opsgate/kit"
)

// A platform asking for a huge Retry-After cannot park a delivery for hours.
func TestRetryAfterIsCapped(t *testing.T) {
	retryAfter := New(Options{}).retrier().Wait
	if d, ok := retryAfter(&slack.RateLimitedError{RetryAfter: 6 * time.Hour}, 1); !ok || d != kit.MaxRetryAfter {
		t.Fatalf("got %v %v, want %v", d, ok, kit.MaxRetryAfter)
	}
	if d, _ := retryAfter(&slack.RateLimitedError{RetryAfter: 3 * time.Second}, 1); d != 3*time.Second {
		t.Fatalf("a short Retry-After must be honoured as is, got %v", d)
	}
}
