package pipeline

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"
)

// A taken job's state: whoever moves it out of running (its worker when the command returns, or
// the abandonment) does the finishing work, exactly once.
const (
	running uint32 = iota
	finished
	abandoned
)

// worker runs tasks until Close. Workers live as long as the pipeline rather than one goroutine
// per request, and a command's handler runs on its worker too: a fresh goroutine grows its stack
// anew for every command (runtime.copystack was a tenth of the CPU under load).
//
// A handler that ignores its context cannot be stopped, so its worker is given up instead:
// AbandonAfter past the context's end the timer tells the user it timed out, finishes the job and
// starts a replacement worker; the stuck one exits when the handler returns.
type worker struct {
	p     *Pipeline
	timer *time.Timer // runs abandon; reset only while a command runs, so the common path starts no goroutine

	mu     sync.Mutex // guards cur, cur.abandonAt and cancel, and orders the timer's resets with them
	cur    *Job       // the command running, nil between commands
	cancel context.CancelFunc

	log       context.Context // see logCtx; used by the worker's goroutine only
	logCancel context.CancelFunc
}

func (p *Pipeline) startWorker() {
	w := &worker{p: p}
	w.timer = time.AfterFunc(time.Hour, w.abandon)
	w.timer.Stop()
	p.workers.Add(1)
	go w.loop()
}

func (w *worker) loop() {
	defer w.p.workers.Add(-1)
	// Close cancels running commands: their contexts are not made from the pipeline's (that
	// costs a lock the workers share and a map entry per command), the worker cancels them.
	stop := context.AfterFunc(w.p.base, w.hurry)
	defer stop()
	defer w.timer.Stop()
	defer func() {
		if w.logCancel != nil {
			w.logCancel()
		}
	}()
	for t := range w.p.tasks {
		if !w.runTask(t) {
			return // abandoned: a replacement has taken this worker's place
		}
	}
}

// runTask runs t and reports whether the worker may take another task.
func (w *worker) runTask(t task) (next bool) {
	p := w.p
	t.job.taken = p.Now()
	defer func() {
		if next = w.claim(t.job); next {
			p.finish(t.job)
		}
	}()
	// Last line of defence: code the pipeline calls here (platform dispatchers, choices) is not
	// ours, and a panic on a worker goroutine would stop the whole server.
	defer func() {
		if r := recover(); r != nil {
			p.logger.Error("pipeline worker panic", "panic", p.redactor.Redact(fmt.Sprint(r)), "stack", string(debug.Stack()))
		}
	}()
	if t.fn != nil {
		t.fn(p.base)
	} else {
		p.run(w, t.job)
	}
	return // next is set by the deferred claim
}

// finish ends a taken job: its room in the admission is freed, Close stops waiting for it and
// Wait returns.
func (p *Pipeline) finish(j *Job) {
	now := p.Now()
	p.admit.release(max(now.Sub(j.taken), time.Nanosecond), now)
	p.wg.Done()
	close(j.done)
}

// arm starts the clock on j's command, whose context ctx ends after timeout or with cancel.
func (w *worker) arm(j *Job, ctx context.Context, timeout time.Duration, cancel context.CancelFunc) {
	grace := w.p.cfg.AbandonAfter
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cur, w.cancel = j, cancel
	if w.p.base.Err() != nil { // closed and cancelled: so is the command, at once
		cancel()
		j.abandonAt = time.Now().Add(grace)
		w.timer.Reset(grace)
		return
	}
	deadline, _ := ctx.Deadline()
	j.abandonAt = deadline.Add(grace)
	w.timer.Reset(timeout + grace) // set after the deadline was: it fires no sooner than abandonAt
}

// claim makes the worker the one to finish j, false when j was abandoned.
func (w *worker) claim(j *Job) bool {
	w.mu.Lock()
	if w.cur == j {
		w.timer.Stop()
		w.cur, w.cancel = nil, nil
	}
	w.mu.Unlock()
	return j.state.CompareAndSwap(running, finished) || j.state.Load() == finished
}

// hurry cancels the running command (Close gave up waiting) and brings its abandonment forward
// to AbandonAfter from now.
func (w *worker) hurry() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if j := w.cur; j != nil {
		w.cancel()
		if at := time.Now().Add(w.p.cfg.AbandonAfter); at.Before(j.abandonAt) {
			j.abandonAt = at
			w.timer.Reset(time.Until(at))
		}
	}
}

// abandon runs on the timer: it gives up the running command if it is past its time. A firing
// meant for an earlier command, or before a hurried command's new time, finds the current
// command not yet due and sets the timer for it.
func (w *worker) abandon() {
	w.mu.Lock()
	j := w.cur
	if j == nil {
		w.mu.Unlock()
		return
	}
	if wait := time.Until(j.abandonAt); wait > 0 {
		w.timer.Reset(wait)
		w.mu.Unlock()
		return
	}
	w.mu.Unlock()
	if !j.state.CompareAndSwap(running, abandoned) {
		return // the command returned meanwhile; its worker finishes it
	}
	p := w.p
	p.startWorker()
	defer p.finish(j)
	defer func() { // not on a worker, but a panic here would stop the server all the same
		if r := recover(); r != nil {
			p.logger.Error("pipeline abandonment panic", "panic", p.redactor.Redact(fmt.Sprint(r)), "stack", string(debug.Stack()))
		}
	}()
	p.logger.Error("command ignored its deadline and was abandoned", "command", j.Route.Command, "subcommand", j.Route.Subcommand)
	err := j.ctx.Err()
	if err == nil { // past the deadline, but the context's own timer has yet to run
		err = context.DeadlineExceeded
	}
	p.conclude(j, err, context.Background())
}

// logCtx is the context of the worker's command log writes: it ends within logTimeout and at
// least logTimeout/2 away. Made again every few seconds, not per command: a context and its timer
// per command cost a tenth of a command's CPU in BenchmarkRun.
func (w *worker) logCtx() context.Context {
	if w.log != nil {
		if d, _ := w.log.Deadline(); time.Until(d) >= logTimeout/2 {
			return w.log
		}
		w.logCancel()
	}
	w.log, w.logCancel = context.WithTimeout(context.Background(), logTimeout)
	return w.log
}
