package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/access"
)

// A worker whose command was abandoned was replaced; once its handler returns it ends instead of
// taking tasks beside its replacement.
func TestAbandonedWorkerEndsWhenHandlerReturns(t *testing.T) {
	const workers = 2
	p := New(Config{Workers: workers, AbandonAfter: time.Millisecond}, access.New(nil), nil, nil)
	defer p.Close(context.Background())
	stuck := make(chan struct{})
	p.Register(&opsgate.Command{Name: "stuck", Exempt: true, Subcommands: []*opsgate.Subcommand{{Name: "now", Timeout: time.Millisecond,
		Run: func(context.Context, *opsgate.Invocation) error { <-stuck; return nil }}}})
	for range 3 {
		p.Handle(context.Background(), &opsgate.Request{Text: "stuck now"}, nopOut{}).Wait()
	}
	if n := p.workers.Load(); n != workers+3 {
		t.Fatalf("%d workers alive with 3 stuck; want %d", n, workers+3)
	}
	close(stuck)
	for deadline := time.Now().Add(time.Minute); p.workers.Load() != workers; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers alive after the stuck handlers returned; want %d", p.workers.Load(), workers)
		}
	}
}

type nopOut struct{}

func (nopOut) Send(context.Context, opsgate.Message) (opsgate.MessageRef, error) { return "", nil }
func (nopOut) Delete(context.Context, opsgate.MessageRef) error                  { return nil }
func (nopOut) Busy(context.Context) error                                        { return nil }
