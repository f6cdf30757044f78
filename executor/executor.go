package executor

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/opsgate/opsgate"
)

// Executor runs Specs. The zero value works: no secrets, http.DefaultClient, real time.
type Executor struct {
	// Resolve returns a secret's value by name (issue 5's secret store); nil: ${secret:...} fails.
	Resolve func(ctx context.Context, name string) (string, error)
	Client  *http.Client
	Now     func() time.Time
	// Sleep waits between HTTP retries; nil: a timer that stops with ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Environ is the environment every program starts from (before Spec.Env); nil: PATH, HOME
	// and LANG of this process, so programs never inherit opsgate's own secrets by accident.
	Environ []string
}

// Result is one run. Output is shaped like StackStorm's runner results so st2 result templates
// keep working: exec gives stdout, stderr, return_code, succeeded, failed (core.local); http
// gives status_code, body, headers, json (core.http).
type Result struct {
	Status     string // opsgate.StatusSucceeded or opsgate.StatusFailed
	Output     map[string]any
	Start, End time.Time
}

// Run renders s with params and runs it. A configuration problem (a template that fails, a
// secret that cannot be resolved) is an error; a program or server that fails is a Result with
// Status failed.
func (e *Executor) Run(ctx context.Context, s *Spec, params map[string]string) (*Result, error) {
	switch s.Runner {
	case RunnerExec:
		return e.runExec(ctx, s, params)
	case RunnerHTTP:
		return e.runHTTP(ctx, s, params)
	}
	return nil, opsgate.Errorf(opsgate.EINVALID, "Unknown runner %q.", s.Runner)
}

func (e *Executor) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Executor) sleep(ctx context.Context, d time.Duration) error {
	if e.Sleep != nil {
		return e.Sleep(ctx, d)
	}
	return opsgate.Sleep(ctx, d)
}

// limitedBuffer keeps the first max bytes written and counts the rest, so a chatty program never
// blocks on a full pipe and never fills memory.
type limitedBuffer struct {
	max   int
	buf   []byte
	total int64
	// partial: reading stopped early, so total is a lower bound.
	partial bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.total += int64(len(p))
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *limitedBuffer) truncated() bool { return b.total > int64(len(b.buf)) }

// text returns what was kept, with a note saying so when output was cut.
func (b *limitedBuffer) text() string {
	if !b.truncated() {
		return string(b.buf)
	}
	if b.partial {
		return fmt.Sprintf("%s\n[output truncated: showing the first %d bytes]", b.buf, len(b.buf))
	}
	return fmt.Sprintf("%s\n[output truncated: %d bytes, showing the first %d]", b.buf, b.total, len(b.buf))
}
