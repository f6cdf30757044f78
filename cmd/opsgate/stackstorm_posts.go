package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/queue"
	"github.com/opsgate/opsgate/stackstorm"
)

// queuedPost is what goes through the post queue: an announcement from st2's stream or the webhook.
type queuedPost struct {
	Source       string                  `json:"source"` // "st2" or "webhook", for the logs
	Announcement stackstorm.Announcement `json:"announcement"`
}

// publish queues a for one replica to post, under its key (a new one when it has none).
func (s *stackStorm) publish(ctx context.Context, source string, a stackstorm.Announcement) error {
	data, err := json.Marshal(queuedPost{Source: source, Announcement: a})
	if err != nil {
		return err
	}
	return s.posts.Publish(ctx, a.Key, data)
}

// publishWebhook is the webhook's Deliver with NATS: refused as today when it can go nowhere,
// else answered once JetStream stored it (503 while NATS is unreachable).
func (s *stackStorm) publishWebhook(ctx context.Context, a stackstorm.Announcement) error {
	if _, _, err := s.route(a); err != nil {
		return err
	}
	if err := s.publish(ctx, "webhook", a); err != nil {
		return fmt.Errorf("%w: %w", stackstorm.ErrUnavailable, err)
	}
	return nil
}

// publishAnnouncement is the st2 stream's Deliver with NATS. While NATS is away it holds the
// stream, retrying, rather than drop the announcement or post it past the queue (another replica
// may have queued it): announcements read meanwhile wait in the stream's buffer (4096), then
// reading pauses. Every replica reads the stream, so one that stops while holding loses nothing
// the others queue.
func (s *stackStorm) publishAnnouncement(ctx context.Context, a stackstorm.Announcement) error {
	wait, held := 100*time.Millisecond, false
	for {
		err := s.publish(ctx, "st2", a)
		if err == nil {
			if held {
				s.logger.Info("st2 announcements flow again: NATS stored the one held")
			}
			return nil
		}
		if !held {
			s.logger.Warn("st2 announcements held until NATS stores them", "err", err)
			held = true
		}
		if err := opsgate.Sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// postQueued posts one post from the queue; a replica not serving its platform hands it back.
func (s *stackStorm) postQueued(ctx context.Context, data []byte) error {
	var p queuedPost
	if err := json.Unmarshal(data, &p); err != nil {
		return opsgate.Errorf(opsgate.EINVALID, "Not a queued post: %v.", err)
	}
	if target, platform, _ := s.targetFor(p.Announcement); target == nil {
		return fmt.Errorf("%w: platform %q is not enabled on this replica", queue.ErrNotHere, platform)
	}
	return s.deliver(ctx, p.Announcement)
}

// deliverOnce is the webhook's Deliver without NATS: a post with an Idempotency-Key is posted once
// within the duplicates window, claimed in the database as other replays are; the claim is given
// back when posting fails, so the client's retry posts.
func (s *stackStorm) deliverOnce(m *Main) func(ctx context.Context, a stackstorm.Announcement) error {
	return func(ctx context.Context, a stackstorm.Announcement) error {
		if a.Key == "" {
			return s.deliver(ctx, a)
		}
		if ok, err := m.claim(ctx, "webhook-post", a.Key, time.Now(), queue.DuplicateWindow); err != nil {
			return err
		} else if !ok {
			return nil
		}
		err := s.deliver(ctx, a)
		if err != nil {
			if uerr := m.unclaim(context.WithoutCancel(ctx), "webhook-post", a.Key); uerr != nil {
				s.logger.Warn("webhook: could not release the Idempotency-Key of a failed post", "err", uerr)
			}
		}
		return err
	}
}
