package kit_test

import (
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

func TestPendingAnswers(t *testing.T) {
	menu := opsgate.Message{Blocks: []opsgate.Block{opsgate.Text{Markdown: "Which site?"},
		opsgate.Menu{Prefix: "device list", Choices: []opsgate.Choice{{Label: "Paris 1", Value: "par 1"}, {Label: "Oslo", Value: "osl"}}}}}
	var p kit.Pending
	if got, c := p.Answer("uptime"); got != "uptime" || c {
		t.Fatalf("no question pending: %q %v", got, c)
	}
	p.Asked(menu)
	if !p.Pending() {
		t.Fatal("a menu was asked: a question is pending")
	}
	if got, _ := p.Answer("1"); got != `device list 'par 1'` {
		t.Fatalf("menu answer: %q", got)
	}
	if p.Pending() {
		t.Fatal("answered: nothing is pending")
	}
	if got, _ := p.Answer("1"); got != "1" {
		t.Fatalf("a question is answered once, then lines are commands again: %q", got)
	}
	p.Asked(menu)
	if got, _ := p.Answer("7"); got != "7" {
		t.Fatalf("no such choice: %q, want the line as a command", got)
	}
	p.Asked(opsgate.Message{Blocks: []opsgate.Block{opsgate.TextPrompt{Prompt: "Host?", Prefix: "dns lookup"}}})
	if got, c := p.Answer("CANCEL"); got != "" || !c {
		t.Fatalf("cancel: %q %v", got, c)
	}
	p.Asked(opsgate.Message{Blocks: []opsgate.Block{opsgate.TextPrompt{Prompt: "Host?", Prefix: "dns lookup"}}})
	if got, _ := p.Answer("a b"); got != `dns lookup 'a b'` {
		t.Fatalf("text answer: %q", got)
	}
	p.Asked(opsgate.Message{Blocks: []opsgate.Block{opsgate.Actions{Buttons: []opsgate.Button{{Label: "Yes", Command: "deploy go"}}}}})
	if got, _ := p.Answer("1"); got != "deploy go" {
		t.Fatalf("button: %q", got)
	}
}
