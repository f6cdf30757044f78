package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// benchServe runs `opsgate serve` with environ for a benchmark, which sends requests straight
// to m.HTTP; it stops when the benchmark ends.
func benchServe(b *testing.B, environ []string) *Main {
	b.Helper()
	out := &syncBuffer{}
	m := &Main{Stdin: strings.NewReader(""), Stdout: out, Stderr: out, Environ: environ}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- m.Run(ctx, []string{"serve"}) }()
	b.Cleanup(func() { cancel(); <-done })
	for !strings.Contains(out.String(), "listening on") {
		select {
		case <-done:
			b.Fatalf("serve stopped: %s", out.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	return m
}
