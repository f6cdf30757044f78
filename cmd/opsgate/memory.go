package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
)

func init() {
	registerModule(module{Name: "memory", Order: 0, Setup: setupMemory})
}

// setupMemory sets the Go runtime's soft memory limit from memory_limit: the collector then works
// harder as the heap nears it, instead of letting it double (GOGC=100) under a burst of commands.
// Unset, Go's own default holds (GOMEMLIMIT from the environment, else none).
func setupMemory(ctx context.Context, m *Main) error {
	n, err := parseSize(m.Config.MemoryLimit)
	if err != nil || n == 0 || !m.Serving {
		return err
	}
	debug.SetMemoryLimit(n)
	return nil
}

// parseSize reads a size such as 64MiB, 1GiB or 50000000 (bytes); "" is 0.
func parseSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("config: memory_limit %q is not a size like 64MiB or 1GiB", s)
	}
	return n * mult, nil
}
