package stackstorm

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/st2fake"
)

// clock is a settable clock shared by the fake st2 and the code under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newFake starts a fake st2 with a bot user, a service user, alice, and a few aliases.
func newFake(t testing.TB, clk *clock) *st2fake.Server {
	t.Helper()
	s := st2fake.New()
	t.Cleanup(s.Close)
	if clk != nil {
		s.Now = clk.Now
	}
	s.HeartbeatInterval = 50 * time.Millisecond
	s.AddUser("bot", st2fake.User{Password: "botpw"})
	s.AddUser("svc", st2fake.User{Password: "svcpw", Service: true})
	s.AddUser("alice", st2fake.User{Password: "alicepw", Nicknames: map[string]string{"terminal": "alice-chat"}})
	s.AddAPIKey("alice", "alice-key")
	s.AddAlias(st2fake.Alias{Pack: "packs", Name: "pack_install", Description: "Install a pack.", ActionRef: "packs.install",
		Formats: []any{"pack install {{packs}}"},
		Ack:     map[string]any{"format": "Installing {{ execution.parameters.packs }}.", "append_url": true},
		Result:  map[string]any{"format": "Installed {{ execution.parameters.packs }}: {{ execution.result.stdout }}"}})
	s.AddAlias(st2fake.Alias{Pack: "core", Name: "say_hi", Description: "Greets.", ActionRef: "core.echo",
		Formats: []any{"say hi {{ who = world }}"}, Ack: map[string]any{"enabled": false}})
	s.AddAlias(st2fake.Alias{Pack: "core", Name: "run_a", Description: "Run A.", ActionRef: "core.local", Formats: []any{"run {{cmd}}"}})
	s.AddAlias(st2fake.Alias{Pack: "core", Name: "run_b", Description: "Run B.", ActionRef: "core.remote", Formats: []any{"run {{cmd}} on {{hosts}}"}})
	return s
}

func newClient(s *st2fake.Server, clk *clock) *Client {
	c := &Client{AuthURL: s.AuthURL(), APIURL: s.APIURL(), StreamURL: s.StreamURL()}
	if clk != nil {
		c.Now = clk.Now
	}
	c.HTTP, c.StreamHTTP = NewHTTPClients(true, 5*time.Second)
	c.Auth = &PasswordAuth{Client: c, Username: "bot", Password: "botpw"}
	return c
}

// recorder is a Dispatcher that keeps what was sent, rendered as text.
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
		b.WriteString(messageText(m))
		b.WriteString("\n---\n")
	}
	return b.String()
}

func messageText(m opsgate.Message) string {
	var b strings.Builder
	for _, bl := range m.Blocks {
		switch bl := bl.(type) {
		case opsgate.Text:
			b.WriteString(bl.Markdown + "\n")
		case opsgate.Header:
			b.WriteString("# " + bl.Text + "\n")
		case opsgate.Fields:
			for _, f := range bl.Fields {
				b.WriteString(f.Name + ": " + f.Value + "\n")
			}
		}
	}
	return b.String()
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func stAlias(name, format, ack string) st2fake.Alias {
	return st2fake.Alias{Pack: "test", Name: name, ActionRef: "core.noop", Formats: []any{format}, Ack: map[string]any{"format": ack}}
}
