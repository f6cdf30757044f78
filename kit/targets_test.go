package kit

import (
	"context"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
)

type recorder struct{ sent []opsgate.Message }

func (r *recorder) Send(_ context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	r.sent = append(r.sent, m)
	return "", nil
}
func (r *recorder) Delete(context.Context, opsgate.MessageRef) error { return nil }
func (r *recorder) Busy(context.Context) error                       { return nil }

type replacer struct{ secret string }

func (r replacer) Redact(s string) string { return strings.ReplaceAll(s, r.secret, "********") }

func TestTargetsRedactByConstruction(t *testing.T) {
	var ts Targets
	rec := &recorder{}
	ts.Register("chat", func(context.Context, string, string, bool) (opsgate.Dispatcher, error) { return rec, nil })
	ts.SetRedactor(replacer{"hunter2"}) // after Register: still applies
	open, names := ts.Target("chat")
	if open == nil || len(names) != 1 || names[0] != "chat" {
		t.Fatalf("target %v, names %v", open, names)
	}
	d, err := open(context.Background(), "C1", "U1", false)
	if err != nil {
		t.Fatal(err)
	}
	d.Send(context.Background(), opsgate.Message{Blocks: []opsgate.Block{opsgate.Text{Markdown: "the password is hunter2"}}})
	if got := rec.sent[0].Blocks[0].(opsgate.Text).Markdown; strings.Contains(got, "hunter2") {
		t.Fatalf("announcement posted the secret: %q", got)
	}
	if got := Echo(ts.Redactor(), "hunter2"); got != "********" {
		t.Fatalf("echo = %q, want it redacted", got)
	}
	if open, _ := ts.Target("nowhere"); open != nil {
		t.Fatal("an unregistered platform has a target")
	}
}

func TestText(t *testing.T) {
	if got := Truncate("héllo wörld", 5); got != "héll…" {
		t.Errorf("Truncate = %q", got)
	}
	if got := Truncate("short", 5); got != "short" {
		t.Errorf("Truncate = %q", got)
	}
	if got := FirstNonEmpty("", "  ", "b", "c"); got != "b" {
		t.Errorf("FirstNonEmpty = %q", got)
	}
	if got := Echo(nil, "v"); got != "v" {
		t.Errorf("Echo(nil) = %q", got)
	}
}
