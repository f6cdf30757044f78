package pipeline_test

import (
	"context"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/access"
	"github.com/opsgate/opsgate/pipeline"
)

type discard struct{}

func (discard) Send(context.Context, opsgate.Message) (opsgate.MessageRef, error) { return "", nil }
func (discard) Delete(context.Context, opsgate.MessageRef) error                  { return nil }
func (discard) Busy(context.Context) error                                        { return nil }

// BenchmarkHandle measures the synchronous part of a request: split, route, grant check and
// enqueue. The command itself runs on the worker pool.
func BenchmarkHandle(b *testing.B) {
	p := pipeline.New(pipeline.Config{Workers: 256, MaxQueued: 1 << 20}, access.New(grants), nil, nil)
	p.Register(&opsgate.Command{Name: "network", Subcommands: []*opsgate.Subcommand{{Name: "status", Params: []opsgate.Param{{Name: "site"}},
		Run: func(context.Context, *opsgate.Invocation) error { return nil }}}})
	r := &opsgate.Request{Platform: "slack", OrgID: "T1", ChannelID: "C1", UserID: "U1", Text: "network status nyc"}
	b.ReportAllocs()
	for b.Loop() {
		p.Handle(context.Background(), r, discard{})
	}
	b.StopTimer()
	p.Close(context.Background())
}

type nopLog struct{}

func (nopLog) CreateCommandLogEntry(context.Context, *opsgate.CommandLogEntry) error { return nil }
func (nopLog) FindCommandLogEntries(context.Context, int) ([]*opsgate.CommandLogEntry, error) {
	return nil, nil
}

// deep uses about n KiB of stack, as a handler posting through net/http does.
//
//go:noinline
func deep(n int) byte {
	var buf [1024]byte
	buf[n%len(buf)] = byte(n)
	if n == 0 {
		return buf[0]
	}
	return deep(n-1) + buf[n%len(buf)]
}

// BenchmarkRun measures whole commands as `serve` runs them: Handle, a worker running the handler
// (which sends one reply), the command log entry, Wait. deepstack is a handler that needs a stack
// of some 32 KiB, like one posting to a platform's API through net/http.
func BenchmarkRun(b *testing.B) {
	for _, c := range []struct {
		name  string
		stack int
	}{{"shallow", 0}, {"deepstack", 32}} {
		b.Run(c.name, func(b *testing.B) {
			p := pipeline.New(pipeline.Config{Workers: 64}, access.New(grants), nopLog{}, nil)
			p.SetRedactor(upper{})
			p.Register(&opsgate.Command{Name: "network", Subcommands: []*opsgate.Subcommand{{Name: "status", Params: []opsgate.Param{{Name: "site"}},
				Run: func(ctx context.Context, inv *opsgate.Invocation) error {
					deep(c.stack)
					_, err := inv.Out.Send(ctx, opsgate.Textf("site %s is up", inv.Route.Params["site"]))
					return err
				}}}})
			b.ReportAllocs()
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				r := &opsgate.Request{Platform: "slack", OrgID: "T1", ChannelID: "C1", UserID: "U1", Text: "network status nyc"}
				for pb.Next() {
					if j := p.Handle(context.Background(), r, discard{}); j.Refused() != "" {
						b.Fatal(j.Refused())
					} else {
						j.Wait()
					}
				}
			})
			b.StopTimer()
			p.Close(context.Background())
		})
	}
}

// BenchmarkRefuse measures a request refused at once (here: shutting down), what an overloaded
// or restarting server does for every request it sheds.
func BenchmarkRefuse(b *testing.B) {
	p := pipeline.New(pipeline.Config{}, access.New(grants), nopLog{}, nil)
	p.SetRedactor(upper{})
	p.Close(context.Background())
	r := &opsgate.Request{Platform: "slack", OrgID: "T1", ChannelID: "C1", UserID: "U1", Text: "network status nyc"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if p.Handle(context.Background(), r, discard{}).Refused() == "" {
				b.Fatal("not refused")
			}
		}
	})
}
