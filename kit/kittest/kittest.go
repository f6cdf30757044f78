// Package kittest is what platform packages' tests share: a settable clock and a stand-in for
// opsgate's pipeline. cmd/opsgate's tests use the real pipeline.
package kittest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// Clock is a clock tests move by hand; it starts at a fixed instant.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock at 2027-01-15 08:00 UTC (Unix 1,800,000,000).
func NewClock() *Clock { return &Clock{t: time.Unix(1_800_000_000, 0)} }

// Now is the clock's time; pass it as a Now func.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Pipeline stands in for opsgate's pipeline: it records each request, refuses a busy one as an
// overloaded pipeline does (user "ubusy" in any case, or text ending in " busy"), and sends
// Reply's message off the request path, as the real pipeline runs commands.
type Pipeline struct {
	t     *testing.T
	reqs  chan *opsgate.Request
	Reply func(req *opsgate.Request, words []string) opsgate.Message
}

// NewPipeline returns a Pipeline answering with reply.
func NewPipeline(t *testing.T, reply func(req *opsgate.Request, words []string) opsgate.Message) *Pipeline {
	return &Pipeline{t: t, reqs: make(chan *opsgate.Request, 100), Reply: reply}
}

// Overloaded is the busy refusal.
const Overloaded = "opsgate is overloaded; please try again shortly."

// Handle is an opsgate.RequestHandler.
func (p *Pipeline) Handle(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) string {
	p.reqs <- req
	if strings.EqualFold(req.UserID, "ubusy") || strings.HasSuffix(req.Text, " busy") {
		return Overloaded
	}
	go func() {
		if strings.EqualFold(req.UserID, "udenied") {
			m := opsgate.Textf("%s", opsgate.DenialMessage(opsgate.GrantUser, req.Subject()))
			m.Ephemeral = true
			out.Send(ctx, m)
			return
		}
		out.Send(ctx, p.Reply(req, opsgate.SplitWords(req.Text)))
	}()
	return ""
}

// Next returns the next request the pipeline received, failing the test after 5 s without one.
func (p *Pipeline) Next() *opsgate.Request {
	p.t.Helper()
	select {
	case r := <-p.reqs:
		return r
	case <-time.After(5 * time.Second):
		p.t.Fatal("no request reached the pipeline")
		return nil
	}
}

// None fails the test if a request reaches the pipeline within 50 ms.
func (p *Pipeline) None() {
	p.t.Helper()
	select {
	case r := <-p.reqs:
		p.t.Fatalf("request reached the pipeline: %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
}

// Sites are 150 choices, more than any platform shows in one menu.
var Sites = func() []opsgate.Choice {
	var c []opsgate.Choice
	for i := 1; i <= 150; i++ {
		c = append(c, opsgate.Choice{Label: fmt.Sprintf("Site %d", i), Value: fmt.Sprintf("site-%d", i)})
	}
	return c
}()

// Form is a dialog with a text and a select field.
var Form = opsgate.Message{Blocks: []opsgate.Block{opsgate.Dialog{Title: "New device", Prefix: "form", Fields: []opsgate.DialogField{
	{Type: "text", Name: "name", Label: "Name"},
	{Type: "select", Name: "role", Label: "Role", Choices: []opsgate.Choice{{Label: "Leaf", Value: "leaf"}, {Label: "Spine", Value: "spine"}}},
}}}}

// Sleeps records the waits of a retry loop without waiting; use its Sleep as a Sleep func.
type Sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

// Sleep records d and returns at once.
func (s *Sleeps) Sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return nil
}

// All returns the waits recorded so far.
func (s *Sleeps) All() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// RedactWord is a Redactor scrubbing one secret value.
type RedactWord string

// Redact replaces every occurrence of the word.
func (w RedactWord) Redact(s string) string { return strings.ReplaceAll(s, string(w), "********") }

// Post sends body to url with contentType and the extra headers, returning the status and the
// answer's body.
func Post(t *testing.T, url, contentType, body string, header http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Serve starts a test server with the endpoints register adds (a platform handler's Register),
// closed when the test ends.
func Serve(t *testing.T, register func(kit.Mux)) *httptest.Server {
	mux := http.NewServeMux()
	register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}
