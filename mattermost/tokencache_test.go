package mattermost

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

// The verified-token cache stays bounded by forgetting the least recently used token, not by
// dropping every token at once: the tokens in use stay cached while a burst of others passes.
func TestTokenCacheKeepsRecentTokens(t *testing.T) {
	ts := &tokens{hashes: map[string]bool{}}
	h := New(Options{Tokens: ts, TokenCacheTTL: time.Hour})
	ctx := context.Background()
	for i := range 1100 {
		tok := fmt.Sprintf("token-%d", i)
		ts.CreateToken(ctx, &opsgate.CommandToken{Platform: "mattermost"}, tok)
		if err := h.verifyToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	before := ts.verifies
	for i := 600; i < 1100; i++ {
		h.verifyToken(ctx, fmt.Sprintf("token-%d", i))
	}
	if n := ts.verifies - before; n != 0 {
		t.Fatalf("%d of the 500 most recently verified tokens were checked against the database again", n)
	}
}
