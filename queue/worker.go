package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/opsgate/opsgate"
)

// Start sets up the stream and consumer (retrying until NATS answers) and takes commands until
// Close. It returns at once.
func (q *Queue) Start() {
	q.start()
	wctx, cancelWatch := context.WithCancel(context.Background())
	q.cancelWatch = cancelWatch
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		q.watch(wctx)
	}()
}

// Stop stops taking commands; those running go on, and Submit still queues new ones for the
// other replicas. Call it as soon as the replica begins to stop:
// a stopping pipeline refuses new work, and a command taken and handed back again and again would
// reach MaxDeliver and be given up.
func (q *Queue) Stop() { q.stop() }

// Close stops taking commands and waits (up to ctx) for those running: an unfinished one is not
// acked and goes to another replica.
func (q *Queue) Close(ctx context.Context) error {
	if q.cancel == nil {
		return nil
	}
	q.stop()
	q.cancelWatch()
	return q.drain(ctx)
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
	q.progress(msg, wait)
	if ok, err := q.o.Claim(wctx, req.ID); err != nil {
		q.o.Logger.Warn("queue: could not record the command as done; a redelivery may run it again", "err", err)
	} else if !ok {
		duplicates.WithLabelValues("deliver").Inc()
	}
	msg.Ack()
	processed.WithLabelValues("done").Inc()
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
