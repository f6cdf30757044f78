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
		if m.Posts != nil {
			if err := m.Posts.Ready(ctx); err != nil {
				return ohttp.ReadyReason("posts: " + err.Error())
			}
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
	if m.Posts != nil {
		// Now that the platforms registered where to post. Closed before them (stops run last
		// registered first), so posts under way finish.
		m.OnStop(m.Posts.Close)
		m.Posts.Start()
		context.AfterFunc(ctx, m.Posts.Stop) // SIGTERM: the other replicas take new posts
	}
	return nil
}

// newPosts makes the post queue (nats.url set, serve only) posting with post; the StackStorm
// module (Order 40) publishes to it at once, and setupNATS (Order 90) starts it once the
// platforms (50) registered their targets. A post is recorded as done in the claims bucket.
func (m *Main) newPosts(post func(ctx context.Context, data []byte) error) (*queue.Posts, error) {
	nc, err := m.natsConn()
	if err != nil {
		return nil, err
	}
	c := m.Config.NATS
	p, err := queue.NewPosts(nc, queue.PostOptions{
		Prefix: c.StreamPrefix,
		Post:   post,
		Claim: func(ctx context.Context, id string) (bool, error) {
			return m.claim(ctx, "posted", id, time.Now(), queue.DoneWindow)
		},
		Unclaim: func(ctx context.Context, id string) error { return m.unclaim(ctx, "posted", id) },
		AckWait: c.AckWait.D(),
		Logger:  m.Logger.With("component", "nats"),
	})
	if err != nil {
		return nil, err
	}
	m.Posts = p
	return p, nil
}
