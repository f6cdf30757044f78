package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// memory_limit reaches the Go runtime when serving, and a value that is no size stops start-up
// with a line naming the key.
func TestMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	startServer(t, sqliteDSN(t), "OPSGATE_MEMORY_LIMIT=48MiB")
	if got := debug.SetMemoryLimit(-1); got != 48<<20 {
		t.Fatalf("memory limit %d, want %d", got, 48<<20)
	}
	for _, bad := range []string{"lots", "-5MiB", "64MB"} {
		_, err := LoadConfig("", []string{"OPSGATE_MEMORY_LIMIT=" + bad})
		if err == nil || !strings.Contains(err.Error(), `memory_limit "`+bad+`" is not a size like 64MiB`) {
			t.Errorf("memory_limit %q: %v", bad, err)
		}
	}
}
