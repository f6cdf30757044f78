// Package queue carries accepted commands (Queue) and posts nobody asked for in a request (Posts:
// StackStorm announcements, webhook posts) through NATS JetStream work-queue streams, so work one
// replica accepted is finished by whichever replica is alive: a worker acks a message only after
// the command ran and its reply was sent, or the post was posted.
package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/opsgate/opsgate"
)

// Refusal is what a user is told when their command cannot be queued.
const Refusal = "opsgate cannot take commands right now: its message queue (NATS) is unreachable. Please send your command again in a minute."

// Defaults, chosen for chat commands: a platform retries within minutes, a command runs for at
// most its timeout.
const (
	DefaultAckWait    = 30 * time.Second
	DefaultMaxDeliver = 5
	// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id: a platform's retry of the same
	// event inside it is stored once.
	DuplicateWindow = 10 * time.Minute
	// DoneWindow is how long a finished request id is remembered, so a redelivery is not run again.
	DoneWindow = 24 * time.Hour
)

// Options configure a Queue.
type Options struct {
	// Prefix names the stream (PREFIX_COMMANDS), its subject (PREFIX.commands) and the workers'
	// durable consumer (PREFIX_workers), so tenants and tests can share a server.
	Prefix string
	// Run runs req through the pipeline, replying through out. It returns the pipeline's refusal
	// ("" when taken) and a function that waits until the replies were sent.
	Run func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) (refusal string, wait func())
	// Open opens the conversation to reply in (kit.Targets on the request's platform).
	Open func(ctx context.Context, req *opsgate.Request) (opsgate.Dispatcher, error)
	// Claim records that request id finished, false when it was already (store.DB.Claim);
	// Unclaim takes a claim back.
	Claim   func(ctx context.Context, id string) (bool, error)
	Unclaim func(ctx context.Context, id string) error
	// Log records a command given up on (MaxDeliver deliveries) as errored.
	Log opsgate.CommandLogService
	// AckWait is how long a worker may go silent before its command goes to another replica;
	// running commands report progress every third of it. MaxDeliver bounds deliveries.
	AckWait    time.Duration
	MaxDeliver int
	// Workers bounds commands this replica takes at once (default 64). As many may always wait in
	// the stream, however slowly commands finish.
	Workers int
	// MaxWait bounds how long a command waits in the stream for a worker, at the rate the replicas
	// finish commands: beyond it Submit holds a new one up to a second for room, then refuses it
	// (default DefaultMaxWait).
	MaxWait time.Duration
	Logger  *slog.Logger
	Now     func() time.Time
}

// Queue publishes accepted commands and runs a worker taking them.
type Queue struct {
	workQueue
	o       Options
	backlog *backlog

	cancelWatch context.CancelFunc // the backlog's sampling, which Submit needs until Close
}

// New returns a queue on nc; Start makes it take commands.
func New(nc *nats.Conn, o Options) (*Queue, error) {
	if o.Prefix == "" || o.Run == nil || o.Open == nil || o.Claim == nil {
		return nil, errors.New("queue: Prefix, Run, Open and Claim are required")
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	q := &Queue{workQueue: workQueue{stream: o.Prefix + "_COMMANDS", subject: o.Prefix + ".commands",
		consumer: o.Prefix + "_workers", what: "commands", ackWait: o.AckWait, maxDeliver: o.MaxDeliver,
		workers: o.Workers, logger: o.Logger, claim: o.Claim, unclaim: o.Unclaim}}
	if err := q.init(nc); err != nil {
		return nil, err
	}
	q.handle = q.process
	// The options as in force, defaults filled in, for the command path's own use.
	q.o = o
	q.o.AckWait, q.o.MaxDeliver, q.o.Workers, q.o.Logger = q.ackWait, q.maxDeliver, q.workers, q.logger
	q.backlog = &backlog{floor: int64(q.workers), maxWait: o.MaxWait}
	return q, nil
}

// Submit queues req and returns "" once JetStream has stored it, or the refusal to show the user:
// Refusal when NATS is away, Overloaded when the stream still holds more than the replicas finish
// within MaxWait after waiting up to a second for room.
// req.ID (the platform's event or request id) is the message id, so a retry is stored once; one
// is made up when the platform has none.
func (q *Queue) Submit(ctx context.Context, req *opsgate.Request) string {
	if err := q.Ready(ctx); err != nil {
		refused.WithLabelValues("unreachable").Inc()
		return Refusal
	}
	// Within Slack's 3-second acknowledgement deadline, with room for the rest of the request:
	// up to admitWait for room in the backlog, and the publish by 2 s from now.
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if !q.backlog.wait(pctx, admitWait) {
		refused.WithLabelValues("backlog").Inc()
		return Overloaded
	}
	r := *req
	if r.ID == "" {
		r.ID = newID()
	}
	data, err := json.Marshal(&r)
	if err != nil {
		refused.WithLabelValues("encode").Inc()
		return "opsgate could not queue this command."
	}
	dup, err := q.publish(pctx, r.ID, data)
	if err != nil {
		q.o.Logger.Warn("queue: publish failed; command refused", "platform", r.Platform, "err", err)
		refused.WithLabelValues("publish").Inc()
		return Refusal
	}
	if dup {
		duplicates.WithLabelValues("publish").Inc()
	}
	published.Inc()
	return ""
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return "og-" + hex.EncodeToString(b[:])
}
