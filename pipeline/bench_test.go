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
