package store_test

import (
	"fmt"
	"os"
	"runtime"
	"testing"
)

// Loading the package must cost nothing a process may never need: every CLI command and a server
// nobody logs in to would otherwise pay argon2's 64 MiB (and its CPU) to start.
func TestMain(m *testing.M) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.TotalAlloc >= 32<<20 {
		fmt.Fprintf(os.Stderr, "FAIL: %d MiB allocated before any test ran: package initialisation is too expensive\n", ms.TotalAlloc>>20)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
