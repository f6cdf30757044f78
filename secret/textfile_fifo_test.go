//go:build unix

package secret

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A named pipe under the root is not a secret; opening it for reading would block until some
// writer came, hanging every resolution of the secret (they share one fetch).
func TestFileProviderFIFODoesNotHang(t *testing.T) {
	root := t.TempDir()
	fifo := filepath.Join(root, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := (&FileProvider{Roots: []string{root}}).Get(context.Background(), map[string]string{"path": fifo})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrProvider) {
			t.Fatalf("fifo: %v, want SecretProviderError", err)
		}
	case <-time.After(3 * time.Second):
		// Unblock the reader so the test binary can exit.
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		t.Fatal("Get blocked opening a named pipe")
	}
}
