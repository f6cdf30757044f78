package kit

import (
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

func TestAnswer(t *testing.T) {
	menu := opsgate.Menu{Prefix: "site", Choices: []opsgate.Choice{{Label: "Paris", Value: "par 1"}, {Label: "Oslo", Value: "osl"}}}
	buttons := opsgate.Actions{Buttons: []opsgate.Button{{Label: "Yes", Command: "deploy confirm"}}}
	for _, c := range []struct {
		p             opsgate.Block
		reply, cmd    string
		ok, cancelled bool
	}{
		{menu, "1", "site 'par 1'", true, false},
		{menu, " 2 ", "site osl", true, false},
		{menu, "3", "", false, false},
		{menu, "uptime", "", false, false},
		{menu, "Cancel", "", false, true},
		{buttons, "1", "deploy confirm", true, false},
		{opsgate.TextPrompt{Prefix: "dns lookup"}, "example.org; rm", "dns lookup 'example.org; rm'", true, false},
	} {
		cmd, ok, cancelled := Answer(c.p, c.reply)
		if cmd != c.cmd || ok != c.ok || cancelled != c.cancelled {
			t.Errorf("Answer(%T, %q) = %q %v %v, want %q %v %v", c.p, c.reply, cmd, ok, cancelled, c.cmd, c.ok, c.cancelled)
		}
	}
}

func TestPromptsExpireAndAreTakenOnce(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ps := NewPrompts[opsgate.Block](2, time.Minute, func() time.Time { return now })
	ps.Set("a", opsgate.TextPrompt{Prefix: "x"})
	if _, ok := ps.Take("a"); !ok {
		t.Fatal("prompt not kept")
	}
	if _, ok := ps.Take("a"); ok {
		t.Fatal("prompt answered twice")
	}
	ps.Set("b", opsgate.TextPrompt{Prefix: "x"})
	now = now.Add(2 * time.Minute)
	if _, ok := ps.Take("b"); ok {
		t.Fatal("an expired prompt captured a reply")
	}
	ps.Set("c", opsgate.TextPrompt{})
	ps.Set("d", opsgate.TextPrompt{})
	ps.Set("e", opsgate.TextPrompt{})
	if _, ok := ps.Take("c"); ok {
		t.Fatal("more prompts kept than the bound")
	}
}
