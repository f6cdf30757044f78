package alias

import (
	"context"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
)

// recorder is the chat side of a conversation: it keeps what the bot sent.
type recorder struct{ sent []opsgate.Message }

func (r *recorder) Send(_ context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	r.sent = append(r.sent, m)
	return "", nil
}
func (r *recorder) Delete(context.Context, opsgate.MessageRef) error { return nil }
func (r *recorder) Busy(context.Context) error                       { return nil }

func (r *recorder) texts() []string {
	var out []string
	for _, m := range r.sent {
		for _, b := range m.Blocks {
			out = append(out, b.(opsgate.Text).Markdown)
		}
	}
	return out
}

func TestRouter(t *testing.T) {
	a := mustParse(t, `
name: restart
pack: svc
action_ref: svc.restart
description: Restart a service
formats:
  - "restart {{ service }} {{ host = localhost }}"
ack:
  format: "Restarting {{ execution.parameters.service }} for {{ user }}"
result:
  format: "{{ execution.parameters.service }}: {{ execution.status }}{~}{{ execution.result.stdout }}"
immutable_parameters:
  force: true
`)
	s := NewSet([]*Alias{a}, ModeStackStorm)
	var got map[string]string
	status := opsgate.StatusSucceeded
	r := &Router{Aliases: func() *Set { return s }, Execute: func(ctx context.Context, a *Alias, p map[string]string) (*Execution, error) {
		got = p
		return &Execution{Status: status, Result: map[string]any{"stdout": "done", "stderr": "oops", "return_code": 3}}, nil
	}}
	req := &opsgate.Request{Text: "restart nginx", UserName: "alice"}
	route, err := r.Route(context.Background(), req, opsgate.SplitWords(req.Text))
	if err != nil || route == nil {
		t.Fatal(route, err)
	}
	if route.Command != "svc" || route.Subcommand != "restart" || route.Group != "svc" || route.Params["host"] != "localhost" || route.Params["force"] != "true" {
		t.Fatalf("route = %+v", route)
	}
	out := &recorder{}
	if err := route.Run(context.Background(), &opsgate.Invocation{Request: req, Route: route, Out: out}); err != nil {
		t.Fatal(err)
	}
	if got["service"] != "nginx" {
		t.Fatalf("params = %q", got)
	}
	if txt := out.texts(); strings.Join(txt, "|") != "Restarting nginx for alice|nginx: succeeded|done" {
		t.Fatalf("sent %q", txt)
	}

	// A failed run's result is the run's error, so the pipeline records it as failed.
	status = opsgate.StatusFailed
	err = route.Run(context.Background(), &opsgate.Invocation{Request: req, Route: route, Out: &recorder{}})
	if opsgate.ErrorCode(err) != opsgate.EINVALID || opsgate.ErrorMessage(err) != "nginx: failed\ndone" {
		t.Fatalf("err = %v", err)
	}

	// Not an alias: not this router's.
	if route, err := r.Route(context.Background(), &opsgate.Request{Text: "whoami"}, []string{"whoami"}); route != nil || err != nil {
		t.Fatal(route, err)
	}
	// Immutable parameter given.
	_, err = r.Route(context.Background(), &opsgate.Request{Text: "restart nginx force=false"}, []string{"restart"})
	if opsgate.ErrorMessage(err) != "Immutable arguments cannot be overriden: force" {
		t.Fatalf("err = %v", err)
	}
	if h := r.Help(); len(h) != 1 || h[0].Usage != "restart {{ service }} {{ host = localhost }}" || h[0].Help != "Restart a service" {
		t.Fatalf("help = %+v", h)
	}
}

func TestRouterAmbiguous(t *testing.T) {
	s := NewSet([]*Alias{mustParse(t, yamlBanana), mustParse(t, yamlPineapple)}, ModeStackStorm)
	r := &Router{Aliases: func() *Set { return s }}
	text := "Lorem ipsum banana dolor sit pineapple amet."
	_, err := r.Route(context.Background(), &opsgate.Request{Text: text}, opsgate.SplitWords(text))
	want := "Command 'Lorem ipsum banana dolor sit pineapple amet.' matched more than 1 pattern\n" +
		"fruit.banana: Lorem ipsum {{ fruit }} dolor sit {{ other }} amet.\nfruit.pineapple: Lorem ipsum banana dolor sit {{ other }} amet."
	if opsgate.ErrorMessage(err) != want {
		t.Fatalf("err = %q", opsgate.ErrorMessage(err))
	}
}

func TestDefaultResult(t *testing.T) {
	a := &Alias{ActionRef: "x.y"}
	if got := defaultResult(a, &Execution{Status: opsgate.StatusFailed, Result: map[string]any{"stdout": "", "stderr": "boom", "return_code": 2}}); got != "Action x.y failed (exit status 2):{~}```\nboom\n```" {
		t.Fatalf("%q", got)
	}
}

// A known alias named without its required parameters routes to a prompt for them, in format order.
func TestRouterMissingParameters(t *testing.T) {
	s := NewSet([]*Alias{
		mustParse(t, "name: copy\npack: fs\naction_ref: fs.copy\nformats: [\"copy {{ src }} to {{ dst }} {{ mode = 644 }}\"]\n"),
		mustParse(t, "name: dig\npack: net\naction_ref: net.dig\nformats: [\"dig {{ host }}\", \"dns {{ host }} {{ type }}\"]\n"),
	}, ModeStackStorm)
	r := &Router{Aliases: func() *Set { return s }}
	for text, want := range map[string]string{
		"copy":            "fs copy [copy]: src", // "to" separates the values: one prompt at a time
		"copy a to":       "fs copy [copy a to]: dst",
		"copy a":          "fs copy [copy a to]: dst",
		"copy 'a b' to":   "fs copy [copy 'a b' to]: dst",
		"dig":             "net dig [dig]: host",
		"dns":             "net dig [dns]: host type",
		"dns example.org": "net dig [dns example.org]: type",
		"cp":              "",
		"copyright":       "",
	} {
		route, err := r.Route(context.Background(), &opsgate.Request{Text: text}, opsgate.SplitWords(text))
		got := ""
		if route != nil {
			var names []string
			for _, p := range route.Missing {
				names = append(names, p.Name)
			}
			got = route.Command + " " + route.Subcommand + " [" + route.PromptPrefix + "]: " + strings.Join(names, " ")
		}
		if err != nil || got != want {
			t.Errorf("%q: route %q, err %v; want %q", text, got, err, want)
		}
	}
}

// A template that fails when it runs names the alias and the template, in one line, not gonja's nodes.
func TestRouterTemplateErrorNamesAlias(t *testing.T) {
	a := mustParse(t, "name: x\naction_ref: a.b\nformats: [run]\nresult: {format: \"{{ execution.status | nofilter }}\"}\n")
	s := NewSet([]*Alias{a}, ModeStackStorm)
	r := &Router{Aliases: func() *Set { return s }, Execute: func(context.Context, *Alias, map[string]string) (*Execution, error) {
		return &Execution{Status: opsgate.StatusSucceeded}, nil
	}}
	route, err := r.Route(context.Background(), &opsgate.Request{Text: "run"}, []string{"run"})
	if err != nil || route == nil {
		t.Fatal(route, err)
	}
	err = route.Run(context.Background(), &opsgate.Invocation{Request: &opsgate.Request{}, Route: route, Out: &recorder{}})
	if want := "Alias test.x: result template: line 1: filter 'nofilter' not found"; opsgate.ErrorMessage(err) != want {
		t.Fatalf("got  %q\nwant %q", opsgate.ErrorMessage(err), want)
	}
}

// BenchmarkPartial1000 is the cost the prompt check adds to text that matches no alias: a first
// word shared by many aliases (the worst case), a known word with the values missing, and a word
// no alias starts with.
func BenchmarkPartial1000(b *testing.B) {
	s := thousandAliases(b)
	msgs := []string{"verb42 noun7", "verb42", "nothing matches this"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Partial(msgs[i%len(msgs)])
	}
}
