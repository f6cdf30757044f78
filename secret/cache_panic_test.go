package secret

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A provider that panics runs in the cache's own goroutine: unrecovered, the panic kills opsgate
// and prints its value (perhaps the secret, or a response holding it) to stderr, past every
// redactor. It must come back as a provider error without the value, and the secret stay usable.
func TestCachePanicIsAnError(t *testing.T) {
	c := NewCache(0, 0)
	_, err := c.Get(context.Background(), "k", func(context.Context) (string, error) {
		panic("unexpected response: password=hunter2-secret")
	})
	if !errors.Is(err, ErrProvider) {
		t.Fatalf("err = %v, want SecretProviderError", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("the error shows the panic value: %v", err)
	}
	v, err := c.Get(context.Background(), "k", func(context.Context) (string, error) { return "ok-value", nil })
	if err != nil || v != "ok-value" {
		t.Fatalf("after a panic: %q %v", v, err)
	}
}
