package terminal_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/terminal"
)

type done struct{}

func (done) Wait()           {}
func (done) Refused() string { return "" }

// The chat answers a menu by number and a text prompt by the line itself, re-running the
// prompt's prefix with the value quoted; "cancel" drops the prompt.
func TestChatAnswersPrompts(t *testing.T) {
	var got []string
	handle := func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) terminal.Waiter {
		got = append(got, req.Text)
		if req.UserID != "alice" || req.Platform != "terminal" {
			t.Errorf("request identity lost: %+v", req)
		}
		switch req.Text {
		case "pick":
			out.Send(ctx, opsgate.Message{Blocks: []opsgate.Block{opsgate.Menu{Prompt: "Select a site", Prefix: "network status",
				Choices: []opsgate.Choice{{Label: "NYC", Value: "nyc"}, {Label: "San Jose", Value: "san jose"}}}}})
		case "ask":
			out.Send(ctx, opsgate.Message{Blocks: []opsgate.Block{opsgate.TextPrompt{Prompt: "Which host?", Prefix: "ping"}}})
		default:
			out.Send(ctx, opsgate.Textf("ran %s", req.Text))
		}
		return done{}
	}
	var out bytes.Buffer
	c := &terminal.Chat{Handle: handle, Template: opsgate.Request{Platform: "terminal", UserID: "alice"},
		In: strings.NewReader("pick\n2\nask\nweb 1\npick\ncancel\n\nhello\n"), Out: &out}
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"pick", "network status 'san jose'", "ask", "ping 'web 1'", "pick", "hello"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("commands run:\n got %q\nwant %q", got, want)
	}
	for _, s := range []string{"Select a site\n  [1] NYC\n  [2] San Jose\n", "Which host? (or 'cancel')", "Cancelled.", "ran hello"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
}

func TestRenderTableAndFields(t *testing.T) {
	s := terminal.Render(opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{
		opsgate.Header{Text: "Devices"},
		opsgate.Table{Header: []string{"name", "site"}, Rows: [][]string{{"core-router-1", "nyc"}, {"sw2", "sjc"}}},
		opsgate.Fields{Fields: []opsgate.Field{{Name: "User", Value: "alice"}}},
		opsgate.Snippet{Title: "config", Content: "hostname r1\n"},
	}})
	for _, want := range []string{"(only you can see this)", "== Devices ==", "name           site", "core-router-1  nyc", "-------------  ----", "User:  alice", "--- config ---\nhostname r1\n---"} {
		if !strings.Contains(s, want) {
			t.Errorf("render lacks %q:\n%s", want, s)
		}
	}
}
