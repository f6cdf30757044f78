package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/access"
	"github.com/opsgate/opsgate/kit/kittest"
	"github.com/opsgate/opsgate/pipeline"
)

// recorder is the conversation a test reads replies from.
type recorder struct {
	mu   sync.Mutex
	msgs []opsgate.Message
}

func (r *recorder) Send(_ context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	return "", nil
}
func (r *recorder) Delete(context.Context, opsgate.MessageRef) error { return nil }
func (r *recorder) Busy(context.Context) error                       { return nil }

func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, m := range r.msgs {
		for _, blk := range m.Blocks {
			switch v := blk.(type) {
			case opsgate.Text:
				b.WriteString(v.Markdown + "\n")
			case opsgate.Header:
				b.WriteString(v.Text + "\n")
			case opsgate.Fields:
				for _, f := range v.Fields {
					b.WriteString(f.Name + "=" + f.Value + "\n")
				}
			case opsgate.TextPrompt:
				b.WriteString("PROMPT[" + v.Prefix + "] " + v.Prompt + "\n")
			case opsgate.Menu:
				b.WriteString("MENU[" + v.Prefix + "]\n")
			case opsgate.Dialog:
				b.WriteString("DIALOG[" + v.Prefix + "] " + v.Title + ":")
				for _, f := range v.Fields {
					b.WriteString(" " + f.Type + ":" + f.Name + "/" + f.Label)
					for _, c := range f.Choices {
						b.WriteString("," + c.Value)
					}
				}
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}

var grants = []*opsgate.Grant{
	{ID: 1, Command: "*", Subcommand: "*", Type: opsgate.GrantOrganization, Value: "T1"},
	{ID: 2, Command: "*", Subcommand: "*", Type: opsgate.GrantChannel, Value: "*"},
	{ID: 3, Command: "network", Subcommand: "status", Type: opsgate.GrantUser, Value: "*"},
	{ID: 4, Command: "network", Subcommand: "redeploy", Type: opsgate.GrantUser, Value: "UADMIN"},
	{ID: 5, Command: "help", Subcommand: "*", Type: opsgate.GrantUser, Value: "*"},
	{ID: 6, Command: "test", Subcommand: "*", Type: opsgate.GrantUser, Value: "*"},
}

func setup(t *testing.T, cfg pipeline.Config) (*pipeline.Pipeline, *kittest.CommandLog) {
	log := &kittest.CommandLog{}
	p := pipeline.New(cfg, access.New(grants), log, nil)
	p.Register(&opsgate.Command{Name: "network", Help: "Network operations.", Subcommands: []*opsgate.Subcommand{
		{Name: "status", Help: "Show a site's status.", Params: []opsgate.Param{{Name: "site", Help: "the site"}},
			Run: func(ctx context.Context, inv *opsgate.Invocation) error {
				_, err := inv.Out.Send(ctx, opsgate.Textf("site %s is up", inv.Route.Params["site"]))
				return err
			}},
		{Name: "redeploy", Help: "Redeploy a site.", Run: func(ctx context.Context, inv *opsgate.Invocation) error {
			_, err := inv.Out.Send(ctx, opsgate.Textf("redeployed"))
			return err
		}},
	}})
	p.Register(&opsgate.Command{Name: "test", Subcommands: []*opsgate.Subcommand{
		{Name: "fail", Run: func(context.Context, *opsgate.Invocation) error {
			return opsgate.Errorf(opsgate.ENOTFOUND, "No such device.")
		}},
		{Name: "crash", Run: func(context.Context, *opsgate.Invocation) error { return errors.New("db exploded at 10.0.0.1") }},
		{Name: "panic", Run: func(context.Context, *opsgate.Invocation) error { panic("boom") }},
		{Name: "slow", Timeout: 50 * time.Millisecond, Run: func(ctx context.Context, _ *opsgate.Invocation) error {
			<-ctx.Done()
			return ctx.Err()
		}},
		{Name: "echo", Params: []opsgate.Param{{Name: "text"}}, Run: func(ctx context.Context, inv *opsgate.Invocation) error {
			_, err := inv.Out.Send(ctx, opsgate.Textf("echo: %s", inv.Route.Params["text"]))
			return err
		}},
	}})
	t.Cleanup(func() { p.Close(context.Background()) })
	return p, log
}

func req(user, text string) *opsgate.Request {
	return &opsgate.Request{Platform: "terminal", OrgID: "T1", OrgName: "acme", ChannelID: "C1", ChannelName: "ops", UserID: user, UserName: "name-" + user, Text: text}
}

func do(p *pipeline.Pipeline, user, text string) (*pipeline.Job, string) {
	rec := &recorder{}
	job := p.Handle(context.Background(), req(user, text), rec)
	job.Wait()
	return job, rec.text()
}

func TestRunAndLog(t *testing.T) {
	p, log := setup(t, pipeline.Config{})
	for _, text := range []string{"network status nyc", "network-status nyc", "NETWORK Status nyc", "“network” status nyc"} {
		job, out := do(p, "U1", text)
		if job.Status != opsgate.StatusSucceeded || out != "site nyc is up\n" {
			t.Fatalf("%q: status %q, output %q", text, job.Status, out)
		}
	}
	e := log.Last()
	if e.Command != "network" || e.Subcommand != "status" || e.Params["site"] != "nyc" || e.Status != "succeeded" || e.UserName != "name-U1" || e.ChannelName != "ops" {
		t.Fatalf("command log entry: %+v", e)
	}
}

func TestDenied(t *testing.T) {
	p, log := setup(t, pipeline.Config{})
	job, out := do(p, "U1", "network redeploy")
	want := "Access to this bot and/or command is not permitted by user U1 (name-U1), ask your administrator to define an appropriate Access Grant\n"
	if job.Status != opsgate.StatusBlocked || out != want {
		t.Fatalf("status %q output %q", job.Status, out)
	}
	if e := log.Last(); e.Status != "blocked" || e.Subcommand != "redeploy" {
		t.Fatalf("blocked run not logged: %+v", e)
	}
	if job, out := do(p, "UADMIN", "network redeploy"); job.Status != opsgate.StatusSucceeded || out != "redeployed\n" {
		t.Fatalf("admin: %q %q", job.Status, out)
	}
	// Another organization is refused before anything else.
	r := req("UADMIN", "network redeploy")
	r.OrgID = "T9"
	rec := &recorder{}
	p.Handle(context.Background(), r, rec).Wait()
	if !strings.Contains(rec.text(), "in organization T9 (acme)") {
		t.Fatalf("org denial: %q", rec.text())
	}
}

func TestOutcomes(t *testing.T) {
	p, log := setup(t, pipeline.Config{})
	cases := []struct{ text, status, out string }{
		{"test fail", "failed", "No such device.\n"},
		{"test crash", "errored", "Internal error.\n"},
		{"test panic", "errored", "Internal error.\n"},
		{"test slow", "errored", "Your command `test slow` did not finish within 50ms and was stopped.\n"},
		{"test echo 'two words' and more", "succeeded", "echo: two words and more\n"},
		{`test echo "unbalanced`, "succeeded", "echo: \"unbalanced\n"},
	}
	for _, c := range cases {
		job, out := do(p, "U1", c.text)
		if job.Status != c.status || out != c.out {
			t.Errorf("%q: got %q %q, want %q %q", c.text, job.Status, out, c.status, c.out)
		}
		if e := log.Last(); e.Status != c.status {
			t.Errorf("%q: logged %q", c.text, e.Status)
		}
	}
	if e := log.All()[1]; !strings.Contains(e.Details, "db exploded") {
		t.Errorf("errored details should keep the cause for admins: %q", e.Details)
	}
	_, out := do(p, "U1", "frobnicate now")
	if !strings.Contains(out, `I don't know the command "frobnicate"`) {
		t.Errorf("unknown command: %q", out)
	}
	_, out = do(p, "U1", "network reboot")
	if !strings.Contains(out, `Command network has no subcommand "reboot"`) {
		t.Errorf("unknown subcommand: %q", out)
	}
}

func TestPromptForMissingParam(t *testing.T) {
	p, _ := setup(t, pipeline.Config{})
	job, out := do(p, "U1", "network status")
	if job.Status != "" || !strings.Contains(out, "PROMPT[network status] network status: please enter the site") {
		t.Fatalf("prompt: %q %q", job.Status, out)
	}
	// The answer re-runs prefix + value through the whole pipeline.
	if job, out := do(p, "U1", "network status "+opsgate.QuoteWord("new york")); job.Status != "succeeded" || out != "site new york is up\n" {
		t.Fatalf("answer: %q %q", job.Status, out)
	}
}

func TestHelpAndWhoami(t *testing.T) {
	p, _ := setup(t, pipeline.Config{RestrictHelp: true})
	_, out := do(p, "U1", "help")
	if !strings.Contains(out, "network status <site>") || strings.Contains(out, "network redeploy") {
		t.Fatalf("restricted help for U1: %q", out)
	}
	_, out = do(p, "UADMIN", "help network")
	if !strings.Contains(out, "network redeploy") || strings.Contains(out, "test fail") {
		t.Fatalf("help network for admin: %q", out)
	}
	p2, _ := setup(t, pipeline.Config{})
	if _, out := do(p2, "U1", "help"); !strings.Contains(out, "network redeploy") {
		t.Fatalf("unrestricted help hides commands: %q", out)
	}
	// whoami needs no grant: a stranger learns the ids to ask for one.
	r := req("U7", "whoami")
	r.OrgID = "T-other"
	rec := &recorder{}
	p.Handle(context.Background(), r, rec).Wait()
	if !strings.Contains(rec.text(), "Organization=T-other (acme)") || !strings.Contains(rec.text(), "User=U7 (name-U7)") {
		t.Fatalf("whoami: %q", rec.text())
	}
}

type upper struct{}

func (upper) Redact(s string) string { return strings.ReplaceAll(s, "hunter2", "[REDACTED]") }

func TestRedaction(t *testing.T) {
	p, log := setup(t, pipeline.Config{})
	p.SetRedactor(upper{})
	_, out := do(p, "U1", "test echo my password is hunter2")
	if out != "echo: my password is [REDACTED]\n" {
		t.Fatalf("reply not redacted: %q", out)
	}
	if e := log.Last(); strings.Contains(e.Params["text"], "hunter2") {
		t.Fatalf("command log not redacted: %+v", e.Params)
	}
}

func TestCloseWaitsForRunningCommands(t *testing.T) {
	p, _ := setup(t, pipeline.Config{})
	release := make(chan struct{})
	p.Register(&opsgate.Command{Name: "wait", Exempt: true, Run: func(ctx context.Context, inv *opsgate.Invocation) error {
		<-release
		_, err := inv.Out.Send(ctx, opsgate.Textf("finished"))
		return err
	}})
	p.Register(&opsgate.Command{Name: "wait2", Exempt: true, Run: func(ctx context.Context, inv *opsgate.Invocation) error { return nil }})
	rec := &recorder{}
	job := p.Handle(context.Background(), req("U1", "wait"), rec)
	closed := make(chan error)
	go func() { closed <- p.Close(context.Background()) }()
	time.Sleep(20 * time.Millisecond)
	select {
	case <-closed:
		t.Fatal("Close returned while a command was running")
	default:
	}
	// New requests are refused while closing, at once and without a reply through the platform.
	after := &recorder{}
	refused := p.Handle(context.Background(), req("U1", "wait2"), after)
	close(release)
	refused.Wait()
	if !strings.Contains(refused.Refused(), "restarting") || after.text() != "" {
		t.Fatalf("request during shutdown: refusal %q, sent %q", refused.Refused(), after.text())
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	job.Wait()
	if rec.text() != "finished\n" {
		t.Fatalf("running command lost at shutdown: %q", rec.text())
	}
}

// When Close's context ends, the commands still running are cancelled.
func TestCloseCancelsRunningCommands(t *testing.T) {
	p, log := setup(t, pipeline.Config{})
	ended := make(chan error, 1)
	p.Register(&opsgate.Command{Name: "wait", Exempt: true, Subcommands: []*opsgate.Subcommand{{Name: "long", Timeout: time.Hour,
		Run: func(ctx context.Context, inv *opsgate.Invocation) error {
			<-ctx.Done()
			ended <- ctx.Err()
			return ctx.Err()
		}}}})
	job := p.Handle(context.Background(), req("U1", "wait long"), &recorder{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := p.Close(ctx); err == nil {
		t.Fatal("Close returned no error with a command still running")
	}
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("command ended with %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("a command running at shutdown was not cancelled")
	}
	job.Wait()
	if e := log.Last(); e == nil || e.Status != opsgate.StatusErrored {
		t.Fatalf("logged %+v", e)
	}
}

// Past MaxQueued the pipeline refuses at once: no goroutine, no reply through the platform, so an
// overloaded server sheds load instead of queueing messages about being overloaded.
func TestOverloadRefusesWithoutQueueing(t *testing.T) {
	p, _ := setup(t, pipeline.Config{Workers: 1, MaxQueued: 1})
	release := make(chan struct{})
	p.Register(&opsgate.Command{Name: "block", Exempt: true, Run: func(ctx context.Context, inv *opsgate.Invocation) error {
		<-release
		return nil
	}})
	first := p.Handle(context.Background(), req("U1", "block"), &recorder{})
	rec := &recorder{}
	second := p.Handle(context.Background(), req("U1", "block"), rec)
	select {
	case <-second.Done():
	default:
		t.Fatal("a refused job must be done at once")
	}
	close(release)
	first.Wait()
	if second.Refused() != "opsgate is overloaded; please try again shortly." || rec.text() != "" || first.Refused() != "" {
		t.Fatalf("first %q, second %q, sent %q", first.Refused(), second.Refused(), rec.text())
	}
	// Once the queue drains, requests are taken again.
	if job, _ := do(p, "U1", "whoami"); job.Refused() != "" {
		t.Fatalf("after draining: %q", job.Refused())
	}
}

func TestRegistryRouteCarriesCommandFlags(t *testing.T) {
	r := pipeline.NewRegistry()
	r.Add(&opsgate.Command{Name: "shutdown", AdminOnly: true, Group: "ops", Params: []opsgate.Param{{Name: "host"}, {Name: "reason", Optional: true}}})
	route, err := r.Route(context.Background(), req("U1", ""), []string{"shutdown", "web1", "disk", "full"})
	if err != nil || !route.AdminOnly || route.Group != "ops" || route.Params["host"] != "web1" || route.Params["reason"] != "disk full" {
		t.Fatalf("route %+v, %v", route, err)
	}
	route, _ = r.Route(context.Background(), req("U1", ""), []string{"shutdown"})
	if len(route.Missing) != 1 || route.Missing[0].Name != "host" {
		t.Fatalf("missing params: %+v", route.Missing)
	}
}

func TestDialogForSeveralMissingParams(t *testing.T) {
	p, _ := setup(t, pipeline.Config{})
	p.Register(&opsgate.Command{Name: "test2", Exempt: true, Subcommands: []*opsgate.Subcommand{{Name: "move",
		Params: []opsgate.Param{{Name: "device", Help: "Device"}, {Name: "site", Help: "Target site", Choices: func(context.Context, *opsgate.Invocation) ([]opsgate.Choice, error) {
			return []opsgate.Choice{{Label: "NYC", Value: "nyc"}, {Label: "SJC", Value: "sjc"}}, nil
		}}},
		Run: func(ctx context.Context, inv *opsgate.Invocation) error {
			_, err := inv.Out.Send(ctx, opsgate.Textf("moved %s to %s", inv.Route.Params["device"], inv.Route.Params["site"]))
			return err
		}}}})
	_, out := do(p, "U1", "test2 move")
	if out != "DIALOG[test2 move] test2 move: text:device/Device select:site/Target site,nyc,sjc\n" {
		t.Fatalf("dialog: %q", out)
	}
	// The submission appends the values in field order.
	if _, out := do(p, "U1", "test2 move "+opsgate.QuoteWord("core 1")+" sjc"); out != "moved core 1 to sjc\n" {
		t.Fatalf("submitted: %q", out)
	}
	// One missing parameter with choices is a menu.
	if _, out := do(p, "U1", "test2 move r1"); out != "MENU[test2 move r1]\n" {
		t.Fatalf("menu: %q", out)
	}
}

// A command that ignores its context still ends for the user: told it timed out, logged errored.
func TestCommandIgnoringItsDeadlineIsAbandoned(t *testing.T) {
	p, log := setup(t, pipeline.Config{AbandonAfter: 20 * time.Millisecond})
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	p.Register(&opsgate.Command{Name: "stuck", Exempt: true, Subcommands: []*opsgate.Subcommand{{Name: "forever", Timeout: 30 * time.Millisecond,
		Run: func(context.Context, *opsgate.Invocation) error { <-stuck; return nil }}}})
	job, out := do(p, "U1", "stuck forever")
	if job.Status != opsgate.StatusErrored || out != "Your command `stuck forever` did not finish within 30ms and was stopped.\n" {
		t.Fatalf("status %q, output %q", job.Status, out)
	}
	if e := log.Last(); e.Status != opsgate.StatusErrored || e.Details != "timed out after 30ms" {
		t.Fatalf("logged %+v", e)
	}
}

// An optional parameter before a required one is asked for with it: the answers land in order.
func TestOptionalBeforeRequiredIsPromptedTogether(t *testing.T) {
	r := pipeline.NewRegistry()
	r.Add(&opsgate.Command{Name: "ping", Params: []opsgate.Param{{Name: "count", Optional: true}, {Name: "host"}, {Name: "note", Optional: true}}})
	route, _ := r.Route(context.Background(), req("U1", ""), []string{"ping"})
	if len(route.Missing) != 2 || route.Missing[0].Name != "count" || route.Missing[1].Name != "host" {
		t.Fatalf("missing: %+v", route.Missing)
	}
	route, _ = r.Route(context.Background(), req("U1", ""), []string{"ping", "3", "web1"})
	if len(route.Missing) != 0 || route.Params["host"] != "web1" {
		t.Fatalf("filled: %+v", route)
	}
}

// Under overload the pipeline admits what its measured throughput finishes within QueueWait and
// refuses the rest at once, instead of queueing up to MaxQueued: a queued command is one that
// will run in time.
func TestOverloadAdmitsWhatFinishesInTime(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	p, _ := setup(t, pipeline.Config{Workers: 2, QueueWait: time.Second, AdmitWait: time.Millisecond})
	p.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	p.Register(&opsgate.Command{Name: "work", Exempt: true, Run: func(ctx context.Context, inv *opsgate.Invocation) error {
		mu.Lock()
		now = now.Add(250 * time.Millisecond) // each command holds its worker 250 ms
		mu.Unlock()
		return nil
	}})
	for range 20 {
		if job, _ := do(p, "U1", "work"); job.Refused() != "" {
			t.Fatalf("idle pipeline refused: %q", job.Refused())
		}
	}
	release := make(chan struct{})
	p.Register(&opsgate.Command{Name: "block", Exempt: true, Run: func(ctx context.Context, inv *opsgate.Invocation) error {
		<-release
		return nil
	}})
	// Two workers finishing a command per 250 ms each get through 8 a second: 2 running and 8
	// waiting is what QueueWait (1 s) allows.
	var taken []*pipeline.Job
	refused := 0
	for range 40 {
		job := p.Handle(context.Background(), req("U1", "block"), &recorder{})
		if msg := job.Refused(); msg == "" {
			taken = append(taken, job)
		} else if msg == "opsgate is overloaded; please try again shortly." {
			refused++
		} else {
			t.Fatalf("refusal %q", msg)
		}
	}
	close(release)
	for _, j := range taken {
		j.Wait()
	}
	if len(taken) != 10 || refused != 30 {
		t.Fatalf("took %d and refused %d of 40 commands; want 10 taken (what runs within 1s) and 30 refused", len(taken), refused)
	}
}
