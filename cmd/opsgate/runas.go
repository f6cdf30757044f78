package main

import (
	"context"
	"fmt"

	"github.com/opsgate/opsgate"
)

// runHere runs a request opsgate makes itself (an approved request, a scheduled run) through
// this replica's pipeline, never the queue: its approval or schedule id must not be taken from
// a stream anyone could publish to. It returns the pipeline's refusal, "" when taken.
func (m *Main) runHere(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) string {
	return m.Pipeline.Handle(ctx, req, out).Refused()
}

// openChannel opens a conversation in channel on platform, for output nobody's request carries.
func (m *Main) openChannel(ctx context.Context, platform, channel string) (opsgate.Dispatcher, error) {
	open, _ := m.Announce.Target(platform)
	if open == nil {
		return nil, fmt.Errorf("no announcements on %s", platform)
	}
	return open(ctx, channel, "", false)
}
