package main

import "context"

// runLoop runs a connection-holding loop (Slack Socket Mode, the Matrix sync) in the background
// until the server stops, logging why it ended if it ends on its own.
func (m *Main) runLoop(name string, run func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := run(ctx); err != nil && ctx.Err() == nil {
			m.Logger.Error(name+" stopped", "err", err)
		}
	}()
	m.OnStop(func(stop context.Context) error {
		cancel()
		select {
		case <-done:
		case <-stop.Done():
		}
		return nil
	})
}
