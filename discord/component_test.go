package discord

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/discordfake"
	"github.com/opsgate/opsgate/kit/kittest"
)

// selectMenu returns the custom_id and option values of the select menu in components.
func selectMenu(t *testing.T, components []any) (string, []string) {
	t.Helper()
	var rows []row
	remarshal(components, &rows)
	for _, r := range rows {
		for _, c := range r.Components {
			if c.Type == 3 {
				var vals []string
				for _, o := range c.Options {
					vals = append(vals, o.Value)
				}
				return c.CustomID, vals
			}
		}
	}
	t.Fatalf("no select menu in %v", components)
	return "", nil
}

// Menus show at most 25 options: 24 choices and "Next...", which shows the next page. A pick
// closes the prompt (type 7) and re-runs the command with the value, once.
func TestMenuPagedPickedOnce(t *testing.T) {
	e := newEnv(t)
	_, resp := e.interact(e.dc.Command(alice, "site", ""))
	e.Next()
	content, flags, comps := data(resp)
	if flags != 64 {
		t.Fatalf("menu answer: %v", resp)
	}
	id, vals := selectMenu(t, comps)
	if len(vals) != 25 || vals[0] != "site-1" || vals[23] != "site-24" || vals[24] != nextValue || len(id) > 100 {
		t.Fatalf("first page: %d options %v, custom_id %d chars", len(vals), vals, len(id))
	}
	msg := map[string]any{"id": "M1", "content": content, "components": comps}
	code, resp := e.interact(e.dc.Component(alice, id, []string{nextValue}, msg))
	if code != 200 || resp["type"] != float64(7) {
		t.Fatalf("next: %d %v", code, resp)
	}
	if req := e.Next(); req.Text != "site" {
		t.Fatalf("next re-ran %q", req.Text)
	}
	page := e.dc.WaitPosted(1)[0]
	id2, vals2 := selectMenu(t, page.Body["components"].([]any))
	if page.Kind != "followup" || vals2[0] != "site-25" || page.Flags != 64 {
		t.Fatalf("second page: %+v %v", page, vals2)
	}
	_, resp = e.interact(e.dc.Component(alice, id2, []string{"site-30"}, msg))
	if c, _, comps := data(resp); resp["type"] != float64(7) || !strings.Contains(c, "<@111> chose `site-30`") || len(comps) != 0 {
		t.Fatalf("pick closes the prompt: %v", resp)
	}
	if req := e.Next(); req.Text != "site site-30" || req.UserID != "111" || req.OrgID != "G1" {
		t.Fatalf("pick re-ran %+v", req)
	}
	// Another click on the same menu (a second tab, a replayed token) runs nothing.
	_, resp = e.interact(e.dc.Component(alice, id2, []string{"site-31"}, msg))
	if c, _, _ := data(resp); !strings.Contains(c, "already answered") {
		t.Fatalf("second pick: %v", resp)
	}
	// Someone else cannot answer alice's prompt.
	_, resp = e.interact(e.dc.Command(alice, "site", ""))
	e.Next()
	_, _, comps = data(resp)
	id3, _ := selectMenu(t, comps)
	_, resp = e.interact(e.dc.Component(discordfake.Who{Guild: "G1", Channel: "C1", UserID: "999", UserName: "mallory"}, id3, []string{"site-1"}, msg))
	if c, _, _ := data(resp); !strings.Contains(c, "This prompt is for <@111>") {
		t.Fatalf("other user: %v", resp)
	}
	// A custom_id opsgate did not sign is refused.
	if code, _ := e.interact(e.dc.Component(alice, "forged", []string{"x"}, msg)); code != 401 {
		t.Fatalf("forged custom_id: %d", code)
	}
	e.None()
}

// A dialog answers the slash command with a modal; its submission re-runs the command with the
// values in field order. A dialog that cannot be the answer (text came first) is a button opening
// it: the click re-runs the command, whose dialog then answers the click.
func TestDialogIsAModal(t *testing.T) {
	e := newEnv(t)
	_, resp := e.interact(e.dc.Command(alice, "form", ""))
	e.Next()
	var md modal
	remarshal(resp["data"], &md)
	if resp["type"] != float64(9) || md.Title != "New device" || len(md.Components) != 2 || md.Components[1].Components[0].Label != "Role" {
		t.Fatalf("modal: %v", resp)
	}
	_, resp = e.interact(e.dc.ModalSubmit(alice, md.CustomID, map[string]string{"f0": "leaf 01", "f1": "spine"}))
	if req := e.Next(); req.Text != "form 'leaf 01' spine" {
		t.Fatalf("submission re-ran %q", req.Text)
	}
	if c, _, _ := data(resp); c != "ran: form 'leaf 01' spine" {
		t.Fatalf("submission answer: %v", resp)
	}
	// Submitted twice (a replayed token), it runs once.
	_, resp = e.interact(e.dc.ModalSubmit(alice, md.CustomID, map[string]string{"f0": "x", "f1": "y"}))
	if c, _, _ := data(resp); !strings.Contains(c, "already answered") {
		t.Fatalf("second submission: %v", resp)
	}
	e.None()

	_, resp = e.interact(e.dc.Command(alice, "form-intro", ""))
	e.Next()
	if c, _, _ := data(resp); resp["type"] != float64(4) || c != "A few questions:" {
		t.Fatalf("text first: %v", resp)
	}
	button := e.dc.WaitPosted(1)[0]
	var rows []row
	remarshal(button.Body["components"], &rows)
	if button.Kind != "followup" || len(rows) != 1 || rows[0].Components[0].Label != "Open form" {
		t.Fatalf("open-form button: %+v", button)
	}
	code, resp := e.interact(e.dc.Component(alice, rows[0].Components[0].CustomID, nil, map[string]any{"id": "M2"}))
	if req := e.Next(); code != 200 || req.Text != "form" {
		t.Fatalf("open form re-ran %q (%d)", req.Text, code)
	}
	if resp["type"] != float64(9) {
		t.Fatalf("open form: %v", resp)
	}

	// A text prompt's button opens a one-field modal.
	_, resp = e.interact(e.dc.Command(alice, "ask", ""))
	e.Next()
	_, _, comps := data(resp)
	remarshal(comps, &rows)
	_, resp = e.interact(e.dc.Component(alice, rows[0].Components[0].CustomID, nil, map[string]any{"id": "M3"}))
	remarshal(resp["data"], &md)
	if resp["type"] != float64(9) || len(md.Components) != 1 {
		t.Fatalf("text prompt modal: %v", resp)
	}
	e.interact(e.dc.ModalSubmit(alice, md.CustomID, map[string]string{"f0": "INC-7"}))
	if req := e.Next(); req.Text != "ask INC-7" {
		t.Fatalf("text answer re-ran %q", req.Text)
	}
}

// A prefix too long for a custom_id (100 characters) is shown as text saying what to send.
func TestLongPrefixPromptAsText(t *testing.T) {
	e := newEnv(t)
	conv := &conversation{h: e.h, req: opsgate.Request{UserID: "111"}}
	prefix := strings.Repeat("x", 90)
	msgs, _ := conv.render(opsgate.Message{Blocks: []opsgate.Block{opsgate.Menu{Prefix: prefix, Choices: kittest.Sites[:3]}}})
	if len(msgs) != 1 || msgs[0].Components != nil || !strings.Contains(msgs[0].Content, "Send `"+prefix+" <choice>`") {
		t.Fatalf("long prefix: %+v", msgs)
	}
	for i := range 3 {
		if !strings.Contains(msgs[0].Content, fmt.Sprintf("site-%d", i+1)) {
			t.Fatalf("choices missing: %q", msgs[0].Content)
		}
	}
}
