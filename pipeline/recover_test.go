package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/pipeline"
)

// A panic in a command's Choices (run on a worker to build the menu) must not kill the server:
// the user gets "Internal error." and the next request is served.
func TestPanicInChoicesIsRecovered(t *testing.T) {
	p, _ := setup(t, pipeline.Config{})
	p.Register(&opsgate.Command{Name: "pick", Exempt: true, Params: []opsgate.Param{{Name: "site",
		Choices: func(context.Context, *opsgate.Invocation) ([]opsgate.Choice, error) { panic("inventory is nil") }}},
		Run: func(context.Context, *opsgate.Invocation) error { return nil }})
	_, out := do(p, "U1", "pick")
	if !strings.Contains(out, "Internal error.") || strings.Contains(out, "inventory is nil") {
		t.Fatalf("panic in choices: %q", out)
	}
	if job, out := do(p, "U1", "network status paris"); job.Status != opsgate.StatusSucceeded || out != "site paris is up\n" {
		t.Fatalf("after the panic: %q %q", job.Status, out)
	}
}

type panickingDispatcher struct{ recorder }

func (d *panickingDispatcher) Send(ctx context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	panic("platform client bug")
}

// A platform dispatcher that panics while the pipeline sends a denial or an error reply (outside
// the command's own handler) must not kill the server, and the run is still logged.
func TestPanicInDispatcherIsRecovered(t *testing.T) {
	p, log := setup(t, pipeline.Config{})
	job := p.Handle(context.Background(), req("U1", "network redeploy"), &panickingDispatcher{})
	job.Wait()
	if e := log.Last(); e == nil || e.Status != opsgate.StatusBlocked {
		t.Fatalf("denial not logged: %+v", e)
	}
	job = p.Handle(context.Background(), req("U1", "test fail"), &panickingDispatcher{})
	job.Wait()
	if e := log.Last(); e == nil || e.Status != opsgate.StatusFailed {
		t.Fatalf("failed run not logged: %+v", e)
	}
	if job, out := do(p, "U1", "network status paris"); job.Status != opsgate.StatusSucceeded || out != "site paris is up\n" {
		t.Fatalf("after the panic: %q %q", job.Status, out)
	}
}
