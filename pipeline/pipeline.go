// Package pipeline is the path every chat message takes: parse, route, access check (grants, then
// policies), then the command runs off the request path with a timeout and lands in the command log.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsgate/opsgate"
)

// Config holds the pipeline's settings.
type Config struct {
	RestrictHelp bool
	// Timeout bounds each command run (default 60s); a route's own timeout wins.
	Timeout time.Duration
	// Workers bounds commands running at once (default 64); MaxQueued bounds those waiting (default 10,000).
	Workers   int
	MaxQueued int
	// QueueWait is how long a taken command may wait for a worker: requests are taken only as far
	// as the measured throughput starts them within it (default 50ms), never beyond MaxQueued.
	// Short, because the wait for room (AdmitWait) is the queue: there a request holds only its
	// platform's connection, and it can still be refused with an answer the user sees.
	QueueWait time.Duration
	// AdmitWait is how long a request waits for room before it is refused (default 1s, well
	// within every platform's deadline for the acknowledgement).
	AdmitWait time.Duration
	// AbandonAfter is how long past its timeout a command that ignores its context is waited
	// for before the user is told it timed out and its worker is freed (default 5s).
	AbandonAfter time.Duration
}

// Pipeline handles requests from every platform the same way.
type Pipeline struct {
	cfg      Config
	auth     opsgate.Authorizer
	log      opsgate.CommandLogService
	logger   *slog.Logger
	builtins *Registry
	routers  []opsgate.Router
	policies []opsgate.Policy
	redactor opsgate.Redactor
	gate     opsgate.Gate
	Now      func() time.Time

	tasks   chan task
	workers atomic.Int32 // alive: Workers, plus abandoned ones whose handler has not returned
	stop    sync.Once    // closes tasks
	admit   *admission
	wg      sync.WaitGroup
	mu      sync.RWMutex // guards closed
	closed  bool
	base    context.Context
	cancel  context.CancelFunc
}

// New returns a pipeline with the built-in commands help and whoami registered.
func New(cfg Config, auth opsgate.Authorizer, log opsgate.CommandLogService, logger *slog.Logger) *Pipeline {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 10000
	}
	if cfg.QueueWait <= 0 {
		cfg.QueueWait = 50 * time.Millisecond
	}
	if cfg.AdmitWait <= 0 {
		cfg.AdmitWait = time.Second
	}
	if cfg.AbandonAfter <= 0 {
		cfg.AbandonAfter = 5 * time.Second
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p := &Pipeline{cfg: cfg, auth: auth, log: log, logger: logger, builtins: NewRegistry(), redactor: opsgate.NopRedactor{},
		Now: time.Now, tasks: make(chan task, max(cfg.MaxQueued, cfg.Workers)),
		admit: newAdmission(cfg.Workers, cfg.MaxQueued, cfg.QueueWait)}
	p.base, p.cancel = context.WithCancel(context.Background())
	p.routers = []opsgate.Router{p.builtins}
	p.builtins.Add(p.helpCommand())
	p.builtins.Add(whoamiCommand())
	for range cfg.Workers {
		p.startWorker()
	}
	return p
}

// Register adds a built-in Go command. Call before serving.
func (p *Pipeline) Register(c *opsgate.Command) { p.builtins.Add(c) }

// AddRouter adds a router asked after the built-ins and earlier routers. Call before serving.
func (p *Pipeline) AddRouter(r opsgate.Router) { p.routers = append(p.routers, r) }

// AddPolicy adds an access policy applied after the grants. Call before serving.
func (p *Pipeline) AddPolicy(pol opsgate.Policy) { p.policies = append(p.policies, pol) }

// SetGate sets what holds requests for approval. Call before serving.
func (p *Pipeline) SetGate(g opsgate.Gate) { p.gate = g }

// SetRedactor sets what scrubs secrets from replies and the command log. Call before serving.
func (p *Pipeline) SetRedactor(r opsgate.Redactor) { p.redactor = r }

// Job is one handled request; its reply is sent off the request path.
type Job struct {
	Route  *opsgate.Route // nil when nothing matched
	Status string         // set when done: a command status, or "" for replies that ran nothing
	// Refusal is set when the pipeline did not take the request at all (overloaded, shutting down):
	// nothing was queued or sent, and the platform should show this in its immediate answer.
	Refusal string
	done    chan struct{}

	// A command run's own state, read by its worker and, if it is abandoned, the abandonment.
	req       *opsgate.Request
	out       opsgate.Dispatcher
	start     time.Time // when Handle took it
	taken     time.Time // when a worker took it
	ctx       context.Context
	timeout   time.Duration
	abandonAt time.Time // guarded by its worker's mu
	state     atomic.Uint32
	inv       opsgate.Invocation // the handler's, here to save an allocation
	redacting opsgate.Redacting  // out's wrapper, here for the same reason
}

// Refused returns the refusal message ("" when the request was accepted).
func (j *Job) Refused() string { return j.Refusal }

// Wait blocks until the job's replies have been sent.
func (j *Job) Wait() { <-j.done }

// Done is closed when the job finishes.
func (j *Job) Done() <-chan struct{} { return j.done }

// Handle parses, routes and checks req now, and sends the outcome (the command's output, a
// denial, a prompt for a missing parameter or an error) through out on a worker. It never blocks
// on the platform or the command, so HTTP adapters can answer within the platform's deadline.
func (p *Pipeline) Handle(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) *Job {
	start := p.Now()

	// Refusals cost nothing further: no goroutine, no platform API call, so an overloaded
	// server sheds load instead of queueing replies about being overloaded.
	if p.isClosed() {
		return refuse(rejectedShuttingDown, shuttingDown)
	}
	if !p.admit.acquire(ctx, p.cfg.AdmitWait) {
		return refuse(rejectedOverloaded, "opsgate is overloaded; please try again shortly.")
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		p.admit.release(0, p.Now())
		return refuse(rejectedShuttingDown, shuttingDown)
	}
	job := &Job{done: make(chan struct{})}
	out = job.redacting.Wrap(out, p.redactor)

	words := opsgate.SplitWords(req.Text)
	if len(words) == 0 {
		words = []string{"help"}
	}
	route, err := p.route(ctx, req, words)
	if err != nil {
		return p.reply(job, out, opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{opsgate.Text{Markdown: opsgate.ErrorMessage(err)}}})
	}
	if route == nil {
		unknownTotal.get(req.Platform).Inc()
		name := words[0]
		if r := []rune(name); len(r) > 40 { // a pasted log line must not come back whole
			name = string(r[:39]) + "…"
		}
		// Only the asker sees it, as every error: a typo is not news for the channel.
		msg := opsgate.Textf("I don't know the command %q. Send `help` to see the commands you can use.", name)
		msg.Ephemeral = true
		return p.reply(job, out, msg)
	}
	job.Route = route
	s := req.Subject()
	if !route.Exempt {
		if d := p.auth.Decide(s, route.Command, route.Subcommand); !d.Allowed {
			deniedTotal.get([2]string{req.Platform, string(d.Failed)}).Inc()
			return p.block(job, req, route, start, out, d.Message, false)
		}
	}
	for _, pol := range p.policies {
		if msg, hidden := pol.Allow(s, route, req.Text); msg != "" || hidden {
			deniedTotal.get([2]string{req.Platform, "policy"}).Inc()
			return p.block(job, req, route, start, out, msg, hidden)
		}
	}
	if len(route.Missing) > 0 {
		return p.prompt(ctx, job, req, route, words, out)
	}
	if p.gate != nil && req.Approval == 0 && p.gate.Holds(req, route) {
		return p.hold(job, req, route, start, out)
	}
	job.req, job.out, job.start = req, out, start
	p.enqueue(job, nil)
	return job
}

const shuttingDown = "opsgate is restarting; please send your command again in a moment."

func (p *Pipeline) isClosed() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.closed
}

func refuse(counter prometheus.Counter, msg string) *Job {
	counter.Inc()
	return &Job{Refusal: msg, done: refusedDone}
}

// refusedDone is the done channel of every refused job, closed from the start.
var refusedDone = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func (p *Pipeline) route(ctx context.Context, req *opsgate.Request, words []string) (*opsgate.Route, error) {
	for _, r := range p.routers {
		route, err := r.Route(ctx, req, words)
		if err != nil || route != nil {
			return route, err
		}
	}
	return nil, nil
}

// task is a taken request's work, waiting for a worker: fn, or without it the job's command.
type task struct {
	job *Job
	fn  func(ctx context.Context)
}

// enqueue hands fn to the workers. The channel never blocks: it holds MaxQueued, more than the
// admission Handle took room in ever lets wait.
func (p *Pipeline) enqueue(job *Job, fn func(ctx context.Context)) {
	p.wg.Add(1)
	p.tasks <- task{job, fn}
}

func (p *Pipeline) reply(job *Job, out opsgate.Dispatcher, m opsgate.Message) *Job {
	p.enqueue(job, func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if _, err := send(ctx, out, m); err != nil {
			p.logger.Warn("reply not delivered", "err", p.redactor.Redact(err.Error()))
		}
	})
	return job
}

func (p *Pipeline) block(job *Job, req *opsgate.Request, route *opsgate.Route, start time.Time, out opsgate.Dispatcher, msg string, hidden bool) *Job {
	job.Status = opsgate.StatusBlocked
	p.enqueue(job, func(ctx context.Context) {
		p.record(ctx, req, route, start, opsgate.StatusBlocked, msg)
		if hidden {
			return
		}
		if _, err := send(ctx, out, opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{opsgate.Text{Markdown: msg}}}); err != nil {
			p.logger.Warn("denial not delivered", "err", p.redactor.Redact(err.Error()))
		}
	})
	return job
}

// hold stores the request for approval, logs it as awaiting_approval and tells the chat who may
// approve it; nothing runs until they do.
func (p *Pipeline) hold(job *Job, req *opsgate.Request, route *opsgate.Route, start time.Time, out opsgate.Dispatcher) *Job {
	job.Status = opsgate.StatusAwaitingApproval
	p.enqueue(job, func(base context.Context) {
		ctx, cancel := context.WithTimeout(base, 30*time.Second)
		defer cancel()
		msg, details, err := p.gate.Hold(ctx, req, route)
		if err != nil {
			job.Status = opsgate.StatusErrored
			p.logger.Error("approval hold failed", "command", route.Command, "err", p.redactor.Redact(err.Error()))
			p.record(ctx, req, route, start, opsgate.StatusErrored, "could not hold for approval: "+err.Error())
			p.sendError(ctx, out, err)
			return
		}
		p.record(ctx, req, route, start, opsgate.StatusAwaitingApproval, details)
		if _, err := send(ctx, out, msg); err != nil {
			p.logger.Warn("approval notice not delivered", "err", p.redactor.Redact(err.Error()))
		}
	})
	return job
}

// prompt asks for what is missing: one parameter as a menu (it has choices) or a text prompt,
// several as one dialog. The answer re-runs the command text with the values appended, so it goes
// through routing and the access check again (nothing is kept server-side).
func (p *Pipeline) prompt(ctx context.Context, job *Job, req *opsgate.Request, route *opsgate.Route, words []string, out opsgate.Dispatcher) *Job {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = opsgate.QuoteWord(w)
	}
	prefix := strings.Join(quoted, " ")
	if route.PromptPrefix != "" {
		prefix = route.PromptPrefix
	}
	title := strings.TrimSpace(route.Command + " " + route.Subcommand)
	p.enqueue(job, func(base context.Context) {
		ctx, cancel := context.WithTimeout(base, 30*time.Second)
		defer cancel()
		inv := &opsgate.Invocation{Request: req, Route: route, Out: out, Now: p.Now()}
		var block opsgate.Block
		if len(route.Missing) > 1 {
			d := opsgate.Dialog{Title: title, Prefix: prefix}
			for _, param := range route.Missing {
				f := opsgate.DialogField{Type: "text", Name: param.Name, Label: paramLabel(param), Optional: param.Optional}
				if param.Choices != nil {
					choices, err := callChoices(ctx, param, inv)
					if err != nil {
						p.sendError(ctx, out, err)
						return
					}
					f.Type, f.Choices = "select", choices
				}
				d.Fields = append(d.Fields, f)
			}
			block = d
		} else if param := route.Missing[0]; param.Choices != nil {
			choices, err := callChoices(ctx, param, inv)
			if err != nil {
				p.sendError(ctx, out, err)
				return
			}
			block = opsgate.Menu{Prompt: "Select " + paramLabel(param), Prefix: prefix, Choices: choices}
		} else {
			block = opsgate.TextPrompt{Prompt: fmt.Sprintf("%s: please enter %s", title, paramLabel(param)), Prefix: prefix}
		}
		if _, err := send(ctx, out, opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{block}}); err != nil {
			p.logger.Warn("prompt not delivered", "err", p.redactor.Redact(err.Error()))
		}
	})
	return job
}

func paramLabel(param opsgate.Param) string {
	if param.Help != "" {
		return param.Help
	}
	return param.Name
}

func (p *Pipeline) sendError(ctx context.Context, out opsgate.Dispatcher, err error) {
	if opsgate.ErrorCode(err) == opsgate.EINTERNAL {
		p.logger.Error("prompt choices failed", "err", p.redactor.Redact(err.Error()))
	}
	if _, err := send(ctx, out, opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{opsgate.Text{Markdown: opsgate.ErrorMessage(err)}}}); err != nil {
		p.logger.Warn("error reply not delivered", "err", p.redactor.Redact(err.Error()))
	}
}

// callChoices asks a parameter for its menu, turning a panic into an internal error like call does.
func callChoices(ctx context.Context, param opsgate.Param, inv *opsgate.Invocation) (cs []opsgate.Choice, err error) {
	defer func() {
		if r := recover(); r != nil {
			cs, err = nil, fmt.Errorf("panic in choices of %s: %v\n%s", param.Name, r, debug.Stack())
		}
	}()
	return param.Choices(ctx, inv)
}

// send delivers m, turning a panic in the platform's dispatcher into an error so the pipeline
// still records the run and the worker survives.
func send(ctx context.Context, out opsgate.Dispatcher, m opsgate.Message) (ref opsgate.MessageRef, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("dispatcher panic: %v", r)
		}
	}()
	return out.Send(ctx, m)
}

// run runs job's command on w, which gives it up if it ignores its deadline.
func (p *Pipeline) run(w *worker, job *Job) {
	route, out := job.Route, job.out
	job.timeout = route.Timeout
	if job.timeout <= 0 {
		job.timeout = p.cfg.Timeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), job.timeout)
	defer cancel()
	job.ctx = ctx
	w.arm(job, ctx, job.timeout, cancel)
	func() {
		defer func() { recover() }() // a typing indicator is not worth a lost run
		out.Busy(ctx)
	}()
	job.inv = opsgate.Invocation{Request: job.req, Route: route, Out: out, Now: job.start}
	err := call(ctx, route.Run, &job.inv)
	if !w.claim(job) {
		return // abandoned: the user has been told, and the job finished
	}
	if err == nil {
		err = ctx.Err()
	}
	p.conclude(job, err, w.logCtx())
}

// conclude tells the user how job's command ended (unless it succeeded) and logs it with logCtx.
func (p *Pipeline) conclude(job *Job, err error, logCtx context.Context) {
	route, req, timeout := job.Route, job.req, job.timeout
	status, details, shown := opsgate.StatusSucceeded, "", ""
	switch {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded):
		status, details = opsgate.StatusErrored, fmt.Sprintf("timed out after %s", timeout)
		shown = fmt.Sprintf("Your command `%s` did not finish within %s and was stopped.", strings.TrimSpace(route.Command+" "+route.Subcommand), timeout)
	case opsgate.ErrorCode(err) == opsgate.EINTERNAL:
		status, details, shown = opsgate.StatusErrored, err.Error(), "Internal error."
		p.logger.Error("command errored", "command", route.Command, "subcommand", route.Subcommand, "err", p.redactor.Redact(err.Error()))
	default:
		status, details, shown = opsgate.StatusFailed, opsgate.ErrorMessage(err), opsgate.ErrorMessage(err)
	}
	job.Status = status
	if req.Approval != 0 && details == "" {
		details = fmt.Sprintf("ran under approval request %d", req.Approval)
	}
	// The command's context has ended: what follows gets its own time.
	if shown != "" {
		sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
		if _, err := send(sctx, job.out, opsgate.Message{Ephemeral: route.Private, Blocks: []opsgate.Block{opsgate.Text{Markdown: shown}}}); err != nil {
			p.logger.Warn("error reply not delivered", "err", p.redactor.Redact(err.Error()))
		}
		scancel()
	}
	commandSecs.get(route.Command).Observe(p.Now().Sub(job.start).Seconds())
	p.record(logCtx, req, route, job.start, status, details)
}

// call runs h, turning a panic into an internal error so one bad command cannot stop the server.
func call(ctx context.Context, h opsgate.Handler, inv *opsgate.Invocation) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	if h == nil {
		return opsgate.Errorf(opsgate.EINTERNAL, "command has no handler")
	}
	return h(ctx, inv)
}

// logTimeout bounds a command log write.
const logTimeout = 10 * time.Second

func (p *Pipeline) record(ctx context.Context, req *opsgate.Request, route *opsgate.Route, start time.Time, status, details string) {
	commandsTotal.get([2]string{req.Platform, status}).Inc()
	if p.log == nil {
		return
	}
	if req.Schedule != 0 { // the command log says which schedule ran it
		details = strings.TrimSuffix(fmt.Sprintf("schedule %d; %s", req.Schedule, details), "; ")
	}
	var params map[string]string
	if len(route.Params) > 0 {
		params = make(map[string]string, len(route.Params))
		for k, v := range route.Params {
			params[k] = p.redactor.Redact(v)
		}
	}
	e := &opsgate.CommandLogEntry{Start: start, Runtime: p.Now().Sub(start), Platform: req.Platform, OrgID: req.OrgID,
		ChannelID: req.ChannelID, ChannelName: req.ChannelName, UserID: req.UserID, UserName: req.UserName,
		Command: route.Command, Subcommand: route.Subcommand, Params: params, Status: status, Details: p.redactor.Redact(details)}
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > logTimeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, logTimeout)
		defer cancel()
	}
	if err := p.log.CreateCommandLogEntry(ctx, e); err != nil {
		p.logger.Error("command log write failed", "command", route.Command, "status", status, "err", err)
	}
}

// Close stops accepting requests and waits for running commands until ctx ends, then cancels them.
func (p *Pipeline) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	// Nothing is enqueued once closed is set: the workers finish what is queued, then end.
	p.stop.Do(func() { close(p.tasks) })
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		p.cancel()
		return nil
	case <-ctx.Done():
		p.cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		return fmt.Errorf("commands still running at shutdown were cancelled: %w", ctx.Err())
	}
}
