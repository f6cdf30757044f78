package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/opsgate/opsgate"
)

// workQueue is what the JetStream work queues (commands, posts) share: a work-queue stream on one
// subject, one durable pull consumer every replica fetches from (one consumer group), the ready
// state /readyz reports, the fetch loop, progress reports for long deliveries, and the "done"
// records that keep a redelivery of finished work from being done again.
type workQueue struct {
	nc         *nats.Conn
	js         jetstream.JetStream
	stream     string // PREFIX_COMMANDS
	subject    string // PREFIX.commands
	consumer   string // PREFIX_workers
	what       string // "commands", for logs
	ackWait    time.Duration
	maxDeliver int
	workers    int
	logger     *slog.Logger
	// handle processes one delivery; it acks, naks or terms it.
	handle func(ctx context.Context, msg jetstream.Msg)
	// claim records id as done, false when it already was; unclaim takes that back.
	claim   func(ctx context.Context, id string) (bool, error)
	unclaim func(ctx context.Context, id string) error

	ready   atomic.Bool // stream and consumer exist (as far as we know)
	cancel  context.CancelFunc
	looping chan struct{}  // closed when the fetch loop has returned
	wg      sync.WaitGroup // the fetch loop, deliveries being handled, and the owner's helpers
}

// init fills in w's defaults and connects it to JetStream.
func (w *workQueue) init(nc *nats.Conn) error {
	if w.ackWait <= 0 {
		w.ackWait = DefaultAckWait
	}
	if w.maxDeliver <= 1 {
		w.maxDeliver = DefaultMaxDeliver
	}
	if w.workers <= 0 {
		w.workers = 64
	}
	if w.logger == nil {
		w.logger = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	w.nc, w.js = nc, js
	return nil
}

// Ready returns nil when work can be queued, else why not (for /readyz).
func (w *workQueue) Ready(context.Context) error {
	if !w.nc.IsConnected() {
		return fmt.Errorf("NATS is unreachable (%s)", w.nc.Status())
	}
	if !w.ready.Load() {
		return errors.New("the JetStream stream is not set up yet")
	}
	return nil
}

// publish stores data under message id (Nats-Msg-Id: a second publish of id within
// DuplicateWindow is stored once, dup true) and waits for JetStream to say so, up to ctx.
func (w *workQueue) publish(ctx context.Context, id string, data []byte) (dup bool, err error) {
	ack, err := w.js.PublishMsg(ctx, &nats.Msg{Subject: w.subject, Data: data}, jetstream.WithMsgID(id))
	if err != nil {
		return false, err
	}
	return ack.Duplicate, nil
}

// start sets up the stream and consumer (retrying until NATS answers) and handles deliveries
// until stop. It returns at once.
func (w *workQueue) start() {
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.looping = make(chan struct{})
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer close(w.looping)
		w.loop(ctx)
	}()
}

// stop stops fetching; deliveries being handled go on.
func (w *workQueue) stop() {
	if w.cancel != nil {
		w.cancel()
		<-w.looping
	}
}

// drain waits (up to ctx) for the deliveries being handled: an unfinished one is not acked and
// goes to another replica.
func (w *workQueue) drain(ctx context.Context) error {
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("queue: %s still being handled at shutdown; NATS redelivers them to another replica", w.what)
	}
}

func (w *workQueue) loop(ctx context.Context) {
	sem := make(chan struct{}, w.workers)
	for ctx.Err() == nil {
		cons, err := w.setup(ctx)
		if err != nil {
			w.ready.Store(false)
			w.logger.Warn("queue: cannot set up the JetStream stream; retrying", "stream", w.stream, "err", err)
			_ = opsgate.Sleep(ctx, 2*time.Second)
			continue
		}
		w.ready.Store(true)
		w.take(ctx, cons, sem)
	}
}

// take fetches messages in short batches, as many as there are free workers, until ctx ends or
// the consumer is gone. Each fetch is a pull request of its own that expires within a second, so
// a missed heartbeat, a busy replica or a NATS restart strands nothing until the ack wait.
func (w *workQueue) take(ctx context.Context, cons jetstream.Consumer, sem chan struct{}) {
	for ctx.Err() == nil {
		free := max(cap(sem)-len(sem), 1)
		batch, err := cons.Fetch(free, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if w.nc.IsConnected() { // NATS answers but not as expected (stream or consumer lost): set up again
				w.logger.Warn("queue: cannot fetch; setting up again", "stream", w.stream, "err", err)
				_ = opsgate.Sleep(ctx, time.Second)
				return
			}
			_ = opsgate.Sleep(ctx, time.Second) // NATS away: the connection retries by itself
			continue
		}
		for msg := range batch.Messages() {
			if ctx.Err() != nil { // stopping: hand it back at once, not after the ack wait
				msg.Nak()
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				msg.Nak()
				continue
			}
			w.wg.Add(1)
			go func() {
				defer func() { <-sem; w.wg.Done() }()
				w.handle(ctx, msg)
			}()
		}
		if err := batch.Error(); errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) {
			return
		}
	}
}

// setup creates (or updates) the stream and the shared consumer.
func (w *workQueue) setup(ctx context.Context) (jetstream.Consumer, error) {
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// An existing stream is left as its operator set it (replicas, limits).
	_, err := w.js.Stream(sctx, w.stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = w.js.CreateStream(sctx, jetstream.StreamConfig{
			Name: w.stream, Subjects: []string{w.subject}, Retention: jetstream.WorkQueuePolicy,
			Storage: jetstream.FileStorage, Duplicates: DuplicateWindow, MaxAge: DoneWindow,
		})
	}
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return nil, err
	}
	return w.js.CreateOrUpdateConsumer(sctx, w.stream, jetstream.ConsumerConfig{
		Durable: w.consumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: w.ackWait,
		MaxDeliver: w.maxDeliver, MaxAckPending: 10000,
	})
}

// finished reports whether id was recorded as done by an earlier delivery. Taking the claim to
// ask is harmless: it is given back at once, and only one delivery is out at a time.
func (w *workQueue) finished(ctx context.Context, id string) bool {
	ok, err := w.claim(ctx, id)
	if err != nil {
		return false // unknown: doing it again beats dropping it
	}
	if ok && w.unclaim != nil {
		w.unclaim(ctx, id)
	}
	return !ok
}

// progress runs run, telling JetStream every third of the ack wait that the delivery is still
// being worked on, so a long one is not handed to another replica meanwhile.
func (w *workQueue) progress(msg jetstream.Msg, run func()) {
	done := make(chan struct{})
	go func() { defer close(done); run() }()
	t := time.NewTicker(w.ackWait / 3)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			msg.InProgress()
		}
	}
}
