package discord

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

var entries = []opsgate.HelpEntry{
	{Command: "help", Usage: "help [command]", Help: "List the commands you can use."},
	{Command: "whoami", Usage: "whoami", Help: "Show your ids."},
	{Command: "st2", Usage: "st2 <command>", Help: "Run a StackStorm action alias."},
	{Command: "examples", Subcommand: "disk_usage", Usage: "disk usage [/path]", Help: "Disk usage."},
	{Command: "examples", Subcommand: "dns", Usage: "dns lookup <host>"},
	{Command: "deploy!", Usage: "Deploy! now"},
}

// One command per first word a person types, each with the optional "text" option; names Discord
// refuses are left out (and logged), never sent to fail the whole overwrite.
func TestCommandsFromHelp(t *testing.T) {
	cmds, skipped := Commands(entries)
	var names []string
	for _, c := range cmds {
		names = append(names, c.Name)
		if len(c.Options) != 1 || c.Options[0].Name != "text" || c.Options[0].Required || c.Description == "" {
			t.Errorf("%s: %+v", c.Name, c)
		}
	}
	if got := strings.Join(names, " "); got != "disk dns help st2 whoami" {
		t.Fatalf("names %q", got)
	}
	if len(skipped) != 1 || skipped[0] != "deploy!" {
		t.Fatalf("skipped %v", skipped)
	}
}

// Registration is a bulk overwrite: globally by default, in the guild when one is set; running
// it again leaves the same set.
func TestRegisterCommandsIdempotent(t *testing.T) {
	e := newEnv(t)
	e.dc.Throttle(1) // a 429 is waited out and retried
	for range 2 {
		if _, err := e.h.RegisterCommands(context.Background(), entries); err != nil {
			t.Fatal(err)
		}
	}
	if w := e.sleeps.All(); len(w) != 1 || w[0] != 250*time.Millisecond {
		t.Fatalf("waits %v, want Discord's retry_after of 250ms", w)
	}
	global, puts := e.dc.Commands("")
	if len(global) != 5 || puts != 2 {
		t.Fatalf("global: %d commands after %d overwrites", len(global), puts)
	}
	e.h.GuildID = "G1"
	if _, err := e.h.RegisterCommands(context.Background(), entries[:2]); err != nil {
		t.Fatal(err)
	}
	if guild, _ := e.dc.Commands("G1"); len(guild) != 2 {
		t.Fatalf("guild: %v", guild)
	}
	e.h.BotToken = "wrong"
	if _, err := e.h.RegisterCommands(context.Background(), entries); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong bot token: %v", err)
	}
}

// Announcements post in the channel as the bot; private ones in the direct message channel
// Discord opens with the user.
func TestAnnouncementsChannelAndDM(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d, err := e.h.Conversation(ctx, "C9", "", false)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := d.Send(ctx, opsgate.Textf("maintenance at 18:00"))
	if err != nil || ref == "" {
		t.Fatal(ref, err)
	}
	d, err = e.h.Conversation(ctx, "C9", "777", true)
	if err != nil {
		t.Fatal(err)
	}
	m := opsgate.Textf("your token expires")
	m.Ephemeral = true
	if _, err := d.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	p := e.dc.WaitPosted(2)
	if len(p) != 2 || p[0].Kind != "channel" || p[0].Where != "C9" || p[0].Content != "maintenance at 18:00" ||
		p[1].Where != "dm-777" || p[1].Content != "your token expires" {
		t.Fatalf("posted %+v", p)
	}
	if err := d.Delete(ctx, ref); err != nil {
		t.Fatal(err)
	}
}

// Long output is split at Discord's 2000 characters, code blocks closed and reopened.
func TestLongOutputSplit(t *testing.T) {
	e := newEnv(t)
	d, _ := e.h.Conversation(context.Background(), "C9", "", false)
	if _, err := d.Send(context.Background(), opsgate.Message{Blocks: []opsgate.Block{opsgate.Snippet{Title: "log", Content: strings.Repeat("0123456789abcdefghi\n", 300)}}}); err != nil {
		t.Fatal(err)
	}
	p := e.dc.Posted()
	if len(p) < 3 {
		t.Fatalf("%d posts", len(p))
	}
	for _, m := range p {
		if strings.Count(m.Content, "```")%2 != 0 || len(m.Content) > contentLimit {
			t.Fatalf("post of %d bytes, fences unbalanced: %q", len(m.Content), m.Content[:40])
		}
	}
}
