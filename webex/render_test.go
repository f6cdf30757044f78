package webex_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/webex"
	"github.com/opsgate/opsgate/webexfake"
)

// testSign makes tokens that say what they were signed for, so tests can read them back.
func testSign(k callback.Kind, prefix string, offset int) string {
	return fmt.Sprintf("%c|%s|%d", k, prefix, offset)
}

var group = opsgate.Request{Platform: "webex", ChannelID: "ROOM", UserID: "ALICE", ThreadID: "ROOT"}

func card(t *testing.T, p webex.Post) *webex.Card {
	t.Helper()
	if len(p.Attachments) != 1 || p.Attachments[0].ContentType != webex.CardContentType {
		t.Fatalf("post %+v has no card", p)
	}
	c := p.Attachments[0].Content
	if c.Type != "AdaptiveCard" || c.Version != "1.3" {
		t.Errorf("card %s %s, want an AdaptiveCard 1.3", c.Type, c.Version)
	}
	if len(c.Actions) > webex.MaxCardActions {
		t.Errorf("card has %d actions, Webex allows 5", len(c.Actions))
	}
	return c
}

func titles(c *webex.Card) []string {
	var out []string
	for _, a := range c.Actions {
		out = append(out, a.Title)
	}
	return out
}

func TestRenderMarkdownBlocks(t *testing.T) {
	m := opsgate.Message{Blocks: []opsgate.Block{
		opsgate.Header{Text: "Status"},
		opsgate.Text{Markdown: "All **good**, see [docs](https://example.com)."},
		opsgate.Fields{Fields: []opsgate.Field{{Name: "Host", Value: "web-1"}, {Name: "Load", Value: "0.3"}}},
		opsgate.Table{Title: "Disks", Header: []string{"dev", "used"}, Rows: [][]string{{"sda", "10%"}}},
		opsgate.Snippet{Title: "log", Content: "line 1\nline 2\n"},
		opsgate.Image{Path: "/tmp/graph.png", Alt: "load graph"},
		opsgate.Image{URL: "https://example.com/g.png", Alt: "graph"},
		opsgate.Text{Markdown: "after the image"},
	}}
	posts := webex.Render(m, group, testSign)
	if len(posts) != 3 {
		t.Fatalf("%d posts, want 3 (text, image, text): %+v", len(posts), posts)
	}
	want := "**Status**\n\nAll **good**, see [docs](https://example.com).\n\n**Host:** web-1\n**Load:** 0.3\n\n" +
		"**Disks**\n```\ndev  used\n---  ----\nsda  10%\n```\n\n**log**\n```\nline 1\nline 2\n```\n\nImage: load graph"
	if posts[0].Markdown != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", posts[0].Markdown, want)
	}
	if len(posts[1].Files) != 1 || posts[1].Files[0] != "https://example.com/g.png" || posts[2].Markdown != "after the image" {
		t.Errorf("image post %+v, then %+v", posts[1], posts[2])
	}
	for _, p := range posts {
		if p.RoomID != "ROOM" || p.ToPersonID != "" || p.ParentID != "" {
			t.Errorf("post addressed to room %q person %q parent %q, want the room", p.RoomID, p.ToPersonID, p.ParentID)
		}
	}
	posts = webex.Render(opsgate.Message{Ephemeral: true, InThread: true, Blocks: m.Blocks[:1]}, group, testSign)
	if posts[0].ToPersonID != "ALICE" || posts[0].RoomID != "" {
		t.Errorf("ephemeral in a group space: %+v, want a 1:1 message to the caller", posts[0])
	}
	dm := group
	dm.Direct = true
	posts = webex.Render(opsgate.Message{Ephemeral: true, InThread: true, Blocks: m.Blocks[:1]}, dm, testSign)
	if posts[0].RoomID != "ROOM" || posts[0].ParentID != "ROOT" {
		t.Errorf("ephemeral in a direct space, in thread: %+v, want the room and thread", posts[0])
	}
}

func TestRenderSplitsAt7439Bytes(t *testing.T) {
	long := strings.Repeat("é", 5000) // 10,000 bytes, two-byte runes
	posts := webex.Render(opsgate.Message{Blocks: []opsgate.Block{opsgate.Text{Markdown: long}}}, group, testSign)
	if len(posts) != 2 {
		t.Fatalf("%d posts, want 2", len(posts))
	}
	joined := ""
	for _, p := range posts {
		if len(p.Markdown) > webex.MaxMessageBytes {
			t.Errorf("post of %d bytes", len(p.Markdown))
		}
		joined += p.Markdown
	}
	if joined != long {
		t.Error("text lost or changed in the split")
	}
	// Exactly the limit fits in one message.
	if n := len(webex.Render(opsgate.Message{Blocks: []opsgate.Block{opsgate.Text{Markdown: strings.Repeat("x", 7439)}}}, group, testSign)); n != 1 {
		t.Errorf("7,439 bytes became %d posts, want 1", n)
	}

	var code strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&code, "line %d\n", i)
	}
	posts = webex.Render(opsgate.Message{Blocks: []opsgate.Block{opsgate.Snippet{Content: code.String()}}}, group, testSign)
	for i, p := range posts {
		if len(p.Markdown) > webex.MaxMessageBytes || !strings.HasPrefix(p.Markdown, "```") || !strings.HasSuffix(p.Markdown, "```") {
			t.Errorf("snippet post %d: %d bytes, fenced %v", i, len(p.Markdown), strings.HasPrefix(p.Markdown, "```"))
		}
	}

	rows := make([][]string, 1500)
	for i := range rows {
		rows[i] = []string{fmt.Sprintf("host-%04d", i), "ok"}
	}
	posts = webex.Render(opsgate.Message{Blocks: []opsgate.Block{opsgate.Table{Header: []string{"host", "state"}, Rows: rows}}}, group, testSign)
	if len(posts) < 2 {
		t.Fatalf("a 1,500-row table in %d post", len(posts))
	}
	seen := 0
	for i, p := range posts {
		if len(p.Markdown) > webex.MaxMessageBytes || !strings.HasPrefix(p.Markdown, "```\nhost       state\n") {
			t.Errorf("table chunk %d: %d bytes, starts %q", i, len(p.Markdown), p.Markdown[:min(30, len(p.Markdown))])
		}
		seen += strings.Count(p.Markdown, "host-")
	}
	if seen != len(rows) {
		t.Errorf("%d rows sent, want %d", seen, len(rows))
	}
}

func TestRenderButtons(t *testing.T) {
	var bs []opsgate.Button
	for i := range 7 {
		bs = append(bs, opsgate.Button{Label: fmt.Sprintf("B%d", i), Command: fmt.Sprintf("run %d", i), Style: []string{"", "primary", "danger"}[i%3]})
	}
	posts := webex.Render(opsgate.Message{Blocks: []opsgate.Block{opsgate.Actions{Buttons: bs}}}, group, testSign)
	if len(posts) != 2 {
		t.Fatalf("7 buttons in %d posts, want 2 cards (5 + 2)", len(posts))
	}
	c := card(t, posts[0])
	if len(c.Actions) != 5 || len(card(t, posts[1]).Actions) != 2 {
		t.Errorf("actions %v and %v", titles(c), titles(card(t, posts[1])))
	}
	a := c.Actions[1]
	if a.Type != "Action.Submit" || a.Style != "positive" || a.Data["og"] != "b|run 1|0" || c.Actions[2].Style != "destructive" {
		t.Errorf("button %+v", a)
	}
	if !strings.Contains(posts[0].Markdown, "`run 0`") {
		t.Errorf("fallback %q does not say what to type", posts[0].Markdown)
	}
}

func choices(n int) []opsgate.Choice {
	var cs []opsgate.Choice
	for i := range n {
		cs = append(cs, opsgate.Choice{Label: fmt.Sprintf("Host %d", i), Value: fmt.Sprintf("h%d", i)})
	}
	return cs
}

func TestRenderMenus(t *testing.T) {
	short := webex.Render(opsgate.Message{Blocks: []opsgate.Block{opsgate.Menu{Prompt: "Which?", Prefix: "reboot", Choices: choices(4)}}}, group, testSign)
	c := card(t, short[0])
	if got := strings.Join(titles(c), ","); got != "Host 0,Host 1,Host 2,Host 3,Cancel" {
		t.Errorf("short menu actions %s", got)
	}
	if c.Actions[2].Data["v"] != "h2" || c.Actions[2].Data["og"] != "m|reboot|0" || c.Actions[4].Data["og"] != "c||0" {
		t.Errorf("choice data %v, cancel %v", c.Actions[2].Data, c.Actions[4].Data)
	}

	page := func(off int) *webex.Card {
		ps := webex.Render(opsgate.Message{Blocks: []opsgate.Block{opsgate.Menu{Prompt: "Which?", Prefix: "reboot", Choices: choices(120), Offset: off}}}, group, testSign)
		if len(ps) != 1 {
			t.Fatalf("%d posts", len(ps))
		}
		return card(t, ps[0])
	}
	first, middle, last := page(0), page(50), page(100)
	for _, tc := range []struct {
		c       *webex.Card
		actions string
		from    string
		n       int
	}{
		{first, "Choose,Next,Cancel", "h0", 50},
		{middle, "Choose,Previous,Next,Cancel", "h50", 50},
		{last, "Choose,Previous,Cancel", "h100", 20},
	} {
		if got := strings.Join(titles(tc.c), ","); got != tc.actions {
			t.Errorf("actions %s, want %s", got, tc.actions)
		}
		in := tc.c.Body[1]
		if in.Type != "Input.ChoiceSet" || in.ID != "v" || len(in.Choices) != tc.n || in.Choices[0].Value != tc.from {
			t.Errorf("choice set %s %s with %d choices from %v", in.Type, in.ID, len(in.Choices), in.Choices[0])
		}
	}
	if d := middle.Actions[1].Data; d["og"] != "m|reboot|0" || d["p"] == "" || middle.Actions[1].AssociatedInputs != "none" {
		t.Errorf("Previous carries %v", d)
	}
	if d := middle.Actions[2].Data; d["og"] != "m|reboot|100" || d["p"] == "" {
		t.Errorf("Next carries %v", d)
	}
	if d := middle.Actions[0].Data; d["og"] != "m|reboot|50" {
		t.Errorf("Choose carries %v", d)
	}
	if !strings.Contains(middle.Body[0].Text, "choices 51-100 of 120") {
		t.Errorf("page heading %q", middle.Body[0].Text)
	}
}

func TestRenderPromptsAndDialogs(t *testing.T) {
	posts := webex.Render(opsgate.Message{Blocks: []opsgate.Block{
		opsgate.TextPrompt{Prompt: "Ticket number?", Prefix: "close"},
		opsgate.Dialog{Title: "New VM", Prefix: "vm create", Fields: []opsgate.DialogField{
			{Type: "text", Name: "name", Label: "Name"},
			{Type: "select", Name: "size", Label: "Size", Choices: []opsgate.Choice{{Label: "Small", Value: "s"}, {Label: "Large", Value: "l"}}, Default: "s"},
			{Type: "text", Name: "note", Optional: true},
		}},
	}}, group, testSign)
	if len(posts) != 2 {
		t.Fatalf("%d posts, want one card each", len(posts))
	}
	p := card(t, posts[0])
	if p.Body[0].Type != "Input.Text" || p.Body[0].ID != "v" || !p.Body[0].IsRequired || p.Actions[0].Data["og"] != "t|close|0" {
		t.Errorf("text prompt %+v %+v", p.Body, p.Actions)
	}
	d := card(t, posts[1])
	if len(d.Body) != 4 || d.Body[1].ID != "f0" || d.Body[2].Type != "Input.ChoiceSet" || d.Body[2].Value != "s" ||
		d.Body[3].ID != "f2" || d.Body[3].IsRequired || !d.Body[1].IsRequired || d.Actions[0].Data["og"] != "d|vm create|0" {
		t.Errorf("dialog %+v %+v", d.Body, d.Actions)
	}
}

// TestCardsRoundTrip posts rendered cards to the stand-in (which applies Webex's limits), presses
// them as a Webex client would, and decodes the submissions.
func TestCardsRoundTrip(t *testing.T) {
	ctx := context.Background()
	f := webexfake.New(t)
	c, _ := newClient(f)
	alice := f.AddPerson("Alice", "alice@example.com")
	req := opsgate.Request{ChannelID: f.GroupRoom(), UserID: alice.ID}
	posts := webex.Render(opsgate.Message{Blocks: []opsgate.Block{
		opsgate.Menu{Prompt: "Which?", Prefix: "reboot", Choices: choices(120), Offset: 50},
		opsgate.Menu{Prompt: "Which?", Prefix: "ping", Choices: choices(3)},
		opsgate.Dialog{Title: "VM", Prefix: "vm create", Fields: []opsgate.DialogField{{Name: "name"}, {Name: "size"}}},
		opsgate.Text{Markdown: strings.Repeat("word ", 3000)},
	}}, req, testSign)
	var ids []string
	for _, p := range posts {
		m, err := c.Post(ctx, p)
		if err != nil {
			t.Fatalf("post refused: %v", err)
		}
		ids = append(ids, m.ID)
	}
	press := func(msg string, i int, values map[string]string) *webex.Answer {
		a, err := f.Press(msg, i, alice, values)
		if err != nil {
			t.Fatal(err)
		}
		var e webex.Envelope
		e.Resource, e.Event, e.Data.ID, e.OrgID = "attachmentActions", "created", a.ID, f.OrgID
		s, err := c.ActionSubmission(ctx, &e)
		if err != nil {
			t.Fatal(err)
		}
		if s.Request.UserID != alice.ID || s.Request.ChannelID != req.ChannelID || s.MessageID != msg || s.Request.OrgID != f.OrgID {
			t.Errorf("submission from %+v on %s", s.Request, s.MessageID)
		}
		return &s.Answer
	}
	check := func(name string, got *webex.Answer, tok string, page bool, values ...string) {
		if got.Token != tok || got.Page != page || strings.Join(got.Values, "|") != strings.Join(values, "|") {
			t.Errorf("%s: %+v, want token %s page %v values %q", name, *got, tok, page, values)
		}
	}
	check("choose", press(ids[0], 0, map[string]string{"v": "h77"}), "m|reboot|50", false, "h77")
	check("next", press(ids[0], 2, nil), "m|reboot|100", true)
	check("cancel", press(ids[0], 3, nil), "c||0", false)
	check("button choice", press(ids[1], 1, nil), "m|ping|0", false, "h1")
	check("dialog", press(ids[2], 0, map[string]string{"f0": "web-9", "f1": "large"}), "d|vm create|0", false, "web-9", "large")
}

func TestDecodeInputsRefusesJunk(t *testing.T) {
	for _, in := range []map[string]any{
		{},
		{"og": ""},
		{"og": 42.0},
		{"og": "t", "v": map[string]any{"x": 1}},
		{"og": "t", "f0": strings.Repeat("x", 5000)},
	} {
		if _, err := webex.DecodeInputs(in); opsgate.ErrorCode(err) != opsgate.EINVALID || strings.Contains(opsgate.ErrorMessage(err), "\n") {
			t.Errorf("%v: %v, want EINVALID with one line", in, err)
		}
	}
}
