package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/opsgate/opsgate"
)

// ErrUnavailable is returned by Publish when NATS is away or did not store the post in time:
// nothing was queued, and the caller should try again later.
var ErrUnavailable = errors.New("the message queue (NATS) is unreachable")

// ErrNotHere, wrapped in Post's error, hands a post back for another replica: this one cannot post
// it (it does not serve the post's chat platform).
var ErrNotHere = errors.New("this replica cannot post it")

// Defaults for posts: a chat platform's outage of a minute or two is ridden out, and a post is
// never held for long by a replica that cannot post it.
const (
	DefaultRetryDelay = 5 * time.Second
	maxRetryDelay     = time.Minute
	handBackDelay     = 5 * time.Second
	// publishWait bounds a publish: a webhook client and the st2 stream wait for it.
	publishWait = 2 * time.Second
)

// PostOptions configure Posts.
type PostOptions struct {
	// Prefix names the stream (PREFIX_POSTS), its subject (PREFIX.posts) and the posters' durable
	// consumer (PREFIX_posters) every replica takes from.
	Prefix string
	// Post posts one message (data as published). An error wrapping ErrNotHere hands it back for
	// another replica; one of code EINVALID can never be posted and is given up at once; any other
	// is retried after RetryDelay, doubling each delivery (up to a minute), MaxDeliver bounding it.
	Post func(ctx context.Context, data []byte) error
	// Claim records that a message was posted, false when it already was (the claims bucket, or
	// store.DB.Claim); Unclaim takes a claim back.
	Claim   func(ctx context.Context, id string) (bool, error)
	Unclaim func(ctx context.Context, id string) error
	// AckWait is how long a poster may go silent before its post goes to another replica (a post
	// taking longer reports progress every third of it). MaxDeliver bounds deliveries: at the
	// last one the post is given up, logged and counted.
	AckWait    time.Duration
	MaxDeliver int
	// Workers bounds the posts this replica makes at once (default 16).
	Workers    int
	RetryDelay time.Duration
	Logger     *slog.Logger
}

// Posts carries messages nobody asked for in a request (StackStorm announcements, webhook posts)
// through a JetStream work queue: any replica publishes one, and exactly one replica posts it.
// A poster records the post as done and only then acks it, so a redelivery after an ack that was
// lost is acked without posting again.
type Posts struct {
	workQueue
	post       func(ctx context.Context, data []byte) error
	retryDelay time.Duration
}

// NewPosts returns a post queue on nc; Start makes this replica post.
func NewPosts(nc *nats.Conn, o PostOptions) (*Posts, error) {
	if o.Prefix == "" || o.Post == nil || o.Claim == nil {
		return nil, errors.New("queue: Prefix, Post and Claim are required")
	}
	p := &Posts{workQueue: workQueue{stream: o.Prefix + "_POSTS", subject: o.Prefix + ".posts",
		consumer: o.Prefix + "_posters", what: "posts", ackWait: o.AckWait, maxDeliver: o.MaxDeliver,
		workers: o.Workers, logger: o.Logger, claim: o.Claim, unclaim: o.Unclaim},
		post: o.Post, retryDelay: o.RetryDelay}
	if p.workers <= 0 {
		p.workers = 16
	}
	if p.retryDelay <= 0 {
		p.retryDelay = DefaultRetryDelay
	}
	if err := p.init(nc); err != nil {
		return nil, err
	}
	p.handle = p.process
	return p, nil
}

// Start sets up the stream and consumer (retrying until NATS answers) and posts until Stop or
// Close. It returns at once. Publish works from the moment the stream is set up.
func (p *Posts) Start() { p.start() }

// Stop stops taking posts; those being posted go on, and Publish still queues new ones.
func (p *Posts) Stop() { p.stop() }

// Close stops taking posts and waits (up to ctx) for those being posted: an unfinished one is not
// acked and goes to another replica.
func (p *Posts) Close(ctx context.Context) error {
	if p.cancel == nil {
		return nil
	}
	p.stop()
	return p.drain(ctx)
}

// Publish queues data to be posted and returns once JetStream has stored it (within 2 s), else an
// error wrapping ErrUnavailable. id is the message id: the same id published again within
// DuplicateWindow, by any replica, is stored once; "" makes a new one up.
func (p *Posts) Publish(ctx context.Context, id string, data []byte) error {
	if err := p.Ready(ctx); err != nil {
		postsTotal.WithLabelValues("refused").Inc()
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if id == "" {
		id = newID()
	}
	pctx, cancel := context.WithTimeout(ctx, publishWait)
	defer cancel()
	dup, err := p.publish(pctx, id, data)
	if err != nil {
		postsTotal.WithLabelValues("refused").Inc()
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if dup {
		postsTotal.WithLabelValues("duplicate").Inc()
	} else {
		postsTotal.WithLabelValues("published").Inc()
	}
	return nil
}

// process posts one delivery. It is acked only after the post went out and was recorded as done,
// so a replica dying before that leaves it to another.
func (p *Posts) process(ctx context.Context, msg jetstream.Msg) {
	id := msg.Headers().Get(jetstream.MsgIDHeader)
	meta, err := msg.Metadata()
	if id == "" || err != nil {
		p.logger.Error("queue: malformed post dropped: it has no message id", "subject", msg.Subject(), "err", err)
		postsTotal.WithLabelValues("malformed").Inc()
		msg.Term()
		return
	}
	// Done is recorded for this stored message (id and stream sequence), not the id alone: the
	// same id stored again once DuplicateWindow has passed (an st2 announcement repeated an hour
	// later) is a new post.
	done := fmt.Sprintf("%s@%d", id, meta.Sequence.Stream)
	// Work on: a stopping replica finishes the posts it began (shutdown_timeout).
	wctx := context.WithoutCancel(ctx)
	if meta.NumDelivered > 1 && p.finished(wctx, done) {
		postsTotal.WithLabelValues("already_posted").Inc()
		msg.Ack()
		return
	}
	if meta.NumDelivered >= uint64(p.maxDeliver) {
		p.giveUp(msg, id, fmt.Sprintf("no replica posted it in %d deliveries (each failure is logged)", meta.NumDelivered-1))
		return
	}
	var perr error
	p.progress(msg, func() { perr = p.post(wctx, msg.Data()) })
	switch {
	case perr == nil:
	case errors.Is(perr, ErrNotHere):
		postsTotal.WithLabelValues("handed_back").Inc()
		msg.NakWithDelay(handBackDelay)
		return
	case opsgate.ErrorCode(perr) == opsgate.EINVALID:
		p.giveUp(msg, id, opsgate.ErrorMessage(perr))
		return
	default:
		delay := min(p.retryDelay<<min(meta.NumDelivered-1, 16), maxRetryDelay)
		p.logger.Warn("queue: post failed; retrying later", "id", id, "delivery", meta.NumDelivered, "retry_in", delay, "err", perr)
		postsTotal.WithLabelValues("retried").Inc()
		msg.NakWithDelay(delay)
		return
	}
	if ok, err := p.claim(wctx, done); err != nil {
		p.logger.Warn("queue: could not record the post as done; a redelivery may post it again", "id", id, "err", err)
	} else if !ok {
		postsTotal.WithLabelValues("already_posted").Inc()
	}
	msg.Ack()
	postsTotal.WithLabelValues("posted").Inc()
}

// giveUp drops a post that cannot be posted, saying why: the id and the reason, never the text.
func (p *Posts) giveUp(msg jetstream.Msg, id, reason string) {
	p.logger.Error("queue: post given up", "id", id, "reason", reason)
	postsTotal.WithLabelValues("given_up").Inc()
	msg.Term()
}
