package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/opsgate/opsgate"
	ohttp "github.com/opsgate/opsgate/http"
	"github.com/opsgate/opsgate/queue"
)

func init() {
	// After the platforms (50): the worker replies through the targets they register.
	registerModule(module{Name: "nats", Order: 90, Setup: setupNATS})
}

// setupNATS sends accepted commands through JetStream when nats.url is set (docs/scaling.md).
// Connecting does not wait for NATS: until it answers, commands are refused and /readyz says so.
func setupNATS(ctx context.Context, m *Main) error {
	c := m.Config.NATS
	if c.URL == "" || !m.Serving {
		return nil
	}
	log := m.Logger.With("component", "nats")
	nc, err := m.natsConn()
	if err != nil {
		return err
	}
	q, err := queue.New(nc, queue.Options{
		Prefix: c.StreamPrefix,
		Run: func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) (string, func()) {
			j := m.Pipeline.Handle(ctx, req, out)
			return j.Refused(), j.Wait
		},
		Open: func(ctx context.Context, req *opsgate.Request) (opsgate.Dispatcher, error) {
			open, _ := m.Announce.Target(req.Platform)
			if open == nil {
				return nil, fmt.Errorf("platform %q is not enabled on this replica", req.Platform)
			}
			return open(ctx, req.ChannelID, req.UserID, req.Direct)
		},
		Claim: func(ctx context.Context, id string) (bool, error) {
			return m.claim(ctx, "queued-command", id, time.Now(), queue.DoneWindow)
		},
		Unclaim: func(ctx context.Context, id string) error { return m.unclaim(ctx, "queued-command", id) },
		Log:     m.CommandLog,
		AckWait: c.AckWait.D(),
		MaxWait: c.MaxQueueWait.D(),
		Logger:  log,
	})
	if err != nil {
		return err
	}
	m.HTTP.Ready["nats"] = func(ctx context.Context) error {
		if err := q.Ready(ctx); err != nil {
			return ohttp.ReadyReason(err.Error()) // the queue's reasons name no address or credential
		}
		return nil
	}
	// Grant, group, alias and ACL changes reach every replica at once, not at the next poll (which
	// stays, for changes made by the CLI and for missed notifications).
	changed := c.StreamPrefix + ".changed"
	if _, err := nc.Subscribe(changed, func(*nats.Msg) {
		m.Watcher.Poke()
		for _, f := range m.changed {
			f()
		}
	}); err != nil {
		nc.Close()
		return err
	}
	m.DB.OnAudit(func() { nc.Publish(changed, nil) })
	m.OnStop(q.Close)
	q.Start()
	context.AfterFunc(ctx, q.Stop) // SIGTERM: the pipeline drains from here on and refuses new work
	m.Queue = q
	return nil
}
