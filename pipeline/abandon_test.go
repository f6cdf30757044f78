package pipeline_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/pipeline"
)

// registerStuck adds `stuck forever`, whose handler ignores its context until the test ends.
func registerStuck(t *testing.T, p *pipeline.Pipeline, timeout time.Duration) chan struct{} {
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	p.Register(&opsgate.Command{Name: "stuck", Exempt: true, Subcommands: []*opsgate.Subcommand{{Name: "forever", Timeout: timeout,
		Run: func(context.Context, *opsgate.Invocation) error { <-stuck; return nil }}}})
	return stuck
}

// Each abandoned command leaves its handler running: the pool replaces the worker it holds, so
// more stuck commands than workers do not stop the pipeline.
func TestAbandonedCommandsDoNotUseUpWorkers(t *testing.T) {
	const workers = 2
	p, log := setup(t, pipeline.Config{Workers: workers, AbandonAfter: 20 * time.Millisecond})
	registerStuck(t, p, 30*time.Millisecond)
	// Without a replacement, the command after the last worker is stuck would never start.
	do := func(p *pipeline.Pipeline, user, text string) (*pipeline.Job, string) {
		rec := &recorder{}
		job := p.Handle(context.Background(), req(user, text), rec)
		select {
		case <-job.Done():
		case <-time.After(time.Minute):
			t.Fatalf("%q did not run", text)
		}
		return job, rec.text()
	}
	for i := range 3 * workers {
		job, out := do(p, "U1", "stuck forever")
		if job.Status != opsgate.StatusErrored || out != "Your command `stuck forever` did not finish within 30ms and was stopped.\n" {
			t.Fatalf("stuck command %d: status %q, output %q", i, job.Status, out)
		}
	}
	for i := range 3 * workers {
		if job, out := do(p, "U1", "network status paris"); job.Status != opsgate.StatusSucceeded || out != "site paris is up\n" {
			t.Fatalf("command %d after %d abandoned: %q %q", i, 3*workers, job.Status, out)
		}
	}
	if n := len(log.All()); n != 6*workers {
		t.Fatalf("%d command log entries for %d commands", n, 6*workers)
	}
}

// A handler that returns just as it is abandoned is finished once: one reply, one log entry, and
// Wait returns (a double finish would panic closing the job twice).
func TestAbandonRacingReturnFinishesOnce(t *testing.T) {
	p, log := setup(t, pipeline.Config{Workers: 8, AbandonAfter: time.Millisecond})
	p.Register(&opsgate.Command{Name: "late", Exempt: true, Subcommands: []*opsgate.Subcommand{{Name: "return", Timeout: time.Millisecond,
		Run: func(ctx context.Context, _ *opsgate.Invocation) error {
			<-ctx.Done()
			time.Sleep(time.Millisecond)
			return nil
		}}}})
	const n = 200
	recs := make([]*recorder, n)
	var wg sync.WaitGroup
	for i := range n {
		recs[i] = &recorder{}
		wg.Go(func() {
			job := p.Handle(context.Background(), req("U1", "late return"), recs[i])
			if job.Refused() != "" {
				recs[i] = nil
			}
			job.Wait()
		})
	}
	wg.Wait()
	taken := 0
	for _, r := range recs {
		if r == nil {
			continue
		}
		taken++
		if out := r.text(); out != "Your command `late return` did not finish within 1ms and was stopped.\n" {
			t.Fatalf("reply %q", out)
		}
	}
	if got := len(log.All()); got != taken {
		t.Fatalf("%d command log entries for %d commands", got, taken)
	}
}

// Close cancels what still runs when its context ends; a handler that ignores that too is given
// up AbandonAfter later, as at its deadline, not at a deadline an hour away.
func TestCloseAbandonsCommandIgnoringCancel(t *testing.T) {
	p, log := setup(t, pipeline.Config{AbandonAfter: 20 * time.Millisecond})
	registerStuck(t, p, time.Hour)
	rec := &recorder{}
	job := p.Handle(context.Background(), req("U1", "stuck forever"), rec)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := p.Close(ctx); err == nil {
		t.Fatal("Close returned no error with a command still running")
	}
	select {
	case <-job.Done():
	case <-time.After(time.Minute):
		t.Fatal("a command ignoring cancellation at shutdown was not abandoned")
	}
	if e := log.Last(); e == nil || e.Status != opsgate.StatusErrored || rec.text() != "Internal error.\n" {
		t.Fatalf("logged %+v, replied %q", e, rec.text())
	}
}
