package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/opsgate/opsgate"
)

// Start sets up the stream and consumer (retrying until NATS answers) and takes commands until
// Close. It returns at once.
func (q *Queue) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	q.cancel = cancel
	q.looping = make(chan struct{})
	wctx, cancelWatch := context.WithCancel(context.Background())
	q.cancelWatch = cancelWatch
	q.wg.Add(2)
	go func() {
		defer q.wg.Done()
		defer close(q.looping)
		q.loop(ctx)
	}()
	go func() {
		defer q.wg.Done()
		q.watch(wctx)
	}()
}

// Stop stops taking commands; those running go on, and Submit still queues new ones for the
// other replicas. Call it as soon as the replica begins to stop:
// a stopping pipeline refuses new work, and a command taken and handed back again and again would
// reach MaxDeliver and be given up.
func (q *Queue) Stop() {
	if q.cancel != nil {
		q.cancel()
		<-q.looping
	}
}

// Close stops taking commands and waits (up to ctx) for those running: an unfinished one is not
// acked and goes to another replica.
func (q *Queue) Close(ctx context.Context) error {
	if q.cancel == nil {
		return nil
	}
	q.Stop()
	q.cancelWatch()
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("queue: commands still running at shutdown; NATS redelivers them to another replica")
	}
}

func (q *Queue) loop(ctx context.Context) {
	sem := make(chan struct{}, q.o.Workers)
	for ctx.Err() == nil {
		cons, err := q.setup(ctx)
		if err != nil {
			q.ready.Store(false)
			q.o.Logger.Warn("queue: cannot set up the JetStream stream; retrying", "stream", q.stream, "err", err)
			_ = opsgate.Sleep(ctx, 2*time.Second)
			continue
		}
		q.ready.Store(true)
		q.take(ctx, cons, sem)
	}
}

// take fetches commands in short batches, as many as there are free workers, until ctx ends or
// the consumer is gone. Each fetch is a pull request of its own that expires within a second, so
// a missed heartbeat, a busy replica or a NATS restart strands nothing until the ack wait.
func (q *Queue) take(ctx context.Context, cons jetstream.Consumer, sem chan struct{}) {
	for ctx.Err() == nil {
		free := max(cap(sem)-len(sem), 1)
		batch, err := cons.Fetch(free, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if q.nc.IsConnected() { // NATS answers but not as expected (stream or consumer lost): set up again
				q.o.Logger.Warn("queue: cannot fetch commands; setting up again", "err", err)
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
			q.wg.Add(1)
			go func() {
				defer func() { <-sem; q.wg.Done() }()
				q.process(ctx, msg)
			}()
		}
		if err := batch.Error(); errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) {
			return
		}
	}
}

// setup creates (or updates) the stream and the workers' consumer.
func (q *Queue) setup(ctx context.Context) (jetstream.Consumer, error) {
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// An existing stream is left as its operator set it (replicas, limits).
	_, err := q.js.Stream(sctx, q.stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = q.js.CreateStream(sctx, jetstream.StreamConfig{
			Name: q.stream, Subjects: []string{q.subject}, Retention: jetstream.WorkQueuePolicy,
			Storage: jetstream.FileStorage, Duplicates: DuplicateWindow, MaxAge: DoneWindow,
		})
	}
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return nil, err
	}
	return q.js.CreateOrUpdateConsumer(sctx, q.stream, jetstream.ConsumerConfig{
		Durable: q.consumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: q.o.AckWait,
		MaxDeliver: q.o.MaxDeliver, MaxAckPending: 10000,
	})
}

// process runs one delivery. The message is acked only after the command's replies were sent and
// its request id claimed as done, so a replica dying before that leaves it to another.
func (q *Queue) process(ctx context.Context, msg jetstream.Msg) {
	var req opsgate.Request
	if err := json.Unmarshal(msg.Data(), &req); err != nil || req.ID == "" || req.Platform == "" {
		q.o.Logger.Error("queue: malformed command dropped: not a JSON request with an id and a platform", "subject", msg.Subject(), "err", err)
		processed.WithLabelValues("malformed").Inc()
		msg.Term()
		return
	}
	// Only platforms' requests are queued: an approval or schedule id never comes from outside.
	req.Approval, req.Schedule = 0, 0
	meta, err := msg.Metadata()
	if err != nil {
		msg.Term()
		return
	}
	// Work on: a stopping replica lets its running commands finish (shutdown_timeout).
	wctx := context.WithoutCancel(ctx)
	if meta.NumDelivered > 1 && q.finished(wctx, req.ID) {
		duplicates.WithLabelValues("deliver").Inc()
		processed.WithLabelValues("already_done").Inc()
		msg.Ack()
		return
	}
	if meta.NumDelivered >= uint64(q.o.MaxDeliver) {
		q.poison(wctx, msg, &req, meta.NumDelivered)
		return
	}
	out, err := q.o.Open(wctx, &req)
	if err != nil {
		q.o.Logger.Warn("queue: cannot open the conversation; retrying later", "platform", req.Platform, "err", err)
		msg.NakWithDelay(5 * time.Second)
		return
	}
	refusal, wait := q.o.Run(wctx, &req, out)
	if refusal != "" { // this replica is overloaded or stopping: another may take it
		processed.WithLabelValues("requeued").Inc()
		msg.NakWithDelay(time.Second)
		return
	}
	q.heartbeat(msg, wait)
	if ok, err := q.o.Claim(wctx, req.ID); err != nil {
		q.o.Logger.Warn("queue: could not record the command as done; a redelivery may run it again", "err", err)
	} else if !ok {
		duplicates.WithLabelValues("deliver").Inc()
	}
	msg.Ack()
	processed.WithLabelValues("done").Inc()
}

// finished reports whether req id was claimed as done by an earlier delivery. Taking the claim
// to ask is harmless: it is given back at once, and only one delivery is out at a time.
func (q *Queue) finished(ctx context.Context, id string) bool {
	ok, err := q.o.Claim(ctx, id)
	if err != nil {
		return false // unknown: running again beats dropping
	}
	if ok && q.o.Unclaim != nil {
		q.o.Unclaim(ctx, id)
	}
	return !ok
}

// heartbeat tells JetStream the command is still running, so a long command is not handed to
// another replica while this one works on it.
func (q *Queue) heartbeat(msg jetstream.Msg, wait func()) {
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	t := time.NewTicker(q.o.AckWait / 3)
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

// poison gives up on a command every earlier delivery failed to finish (the replica running it
// died or stalled each time): logged as errored, and the user is told.
func (q *Queue) poison(ctx context.Context, msg jetstream.Msg, req *opsgate.Request, n uint64) {
	processed.WithLabelValues("poison").Inc()
	reason := fmt.Sprintf("given up after %d deliveries: no replica finished it (each stopped or was too busy)", n-1)
	q.o.Logger.Error("queue: command given up", "platform", req.Platform, "user", req.UserID, "request", req.ID, "reason", reason)
	if q.o.Log != nil {
		e := &opsgate.CommandLogEntry{Start: q.o.Now(), Platform: req.Platform, OrgID: req.OrgID, ChannelID: req.ChannelID,
			ChannelName: req.ChannelName, UserID: req.UserID, UserName: req.UserName, Command: firstWord(req.Text),
			Status: opsgate.StatusErrored, Details: reason}
		if err := q.o.Log.CreateCommandLogEntry(ctx, e); err != nil {
			q.o.Logger.Warn("queue: could not log the given-up command", "err", err)
		}
	}
	if ok, _ := q.o.Claim(ctx, req.ID); ok {
		if out, err := q.o.Open(ctx, req); err == nil {
			m := opsgate.Textf("Your command `%s` could not be run: %s. Please try again, or ask an administrator to look at the opsgate logs.", firstWord(req.Text), reason)
			m.Ephemeral = true
			out.Send(ctx, m)
		}
	}
	msg.Term()
}

func firstWord(s string) string {
	if w := opsgate.SplitWords(s); len(w) > 0 {
		return w[0]
	}
	return ""
}
