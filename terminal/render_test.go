package terminal_test

import (
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/terminal"
)

// Every element of the output model has a text form a person can act on.
func TestRenderEveryElement(t *testing.T) {
	s := terminal.Render(opsgate.Message{Blocks: []opsgate.Block{
		opsgate.Text{Markdown: "Deployed **web**."},
		opsgate.Table{Title: "Sites", Header: []string{"site", "état"}, Rows: [][]string{{"nyc", "ok"}, {"zürich", "down"}}},
		opsgate.Image{URL: "https://grafana/render/1.png", Alt: "CPU graph"},
		opsgate.Image{Path: "/tmp/graph.png"},
		opsgate.Actions{Buttons: []opsgate.Button{{Label: "Restart", Command: "svc restart web", Style: "danger"}, {Label: "Logs", Command: "svc logs web"}}},
		opsgate.Menu{Prompt: "Pick a site", Prefix: "site show", Confirm: true, Offset: 1, Choices: []opsgate.Choice{{Label: "New York", Value: "nyc"}, {Value: "zrh"}}},
		opsgate.Dialog{Title: "New device", Prefix: "device add", Fields: []opsgate.DialogField{
			{Type: "text", Name: "name", Label: "Name"},
			{Type: "select", Name: "role", Label: "Role", Default: "leaf", Choices: []opsgate.Choice{{Value: "leaf"}, {Value: "spine"}}},
			{Type: "text", Name: "note", Label: "Note", Optional: true},
		}},
		opsgate.Snippet{Content: "line 1\nline 2\n"},
		opsgate.Fields{Fields: []opsgate.Field{{Name: "Owner", Value: "alice"}, {Name: "Notes", Value: "one\ntwo"}}},
	}})
	for _, want := range []string{
		"Deployed **web**.\n",
		"Sites\nsite    état\n------  ----\nnyc     ok\nzürich  down\n(2 rows)\n",
		"[CPU graph] https://grafana/render/1.png\n", "[image] /tmp/graph.png\n",
		"  [1] Restart (!)\n  [2] Logs\n",
		"Pick a site\n  [1] New York\n  [2] zrh\n  (your choice runs: site show <choice>)\n",
		"New device\n  Name\n  Role (default leaf; one of leaf, spine)\n  Note (optional)\n  Reply with: device add <name> <role> <note>\n",
		"---\nline 1\nline 2\n---\n",
		"Owner:  alice\nNotes:  one\n        two\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("render lacks %q in:\n%s", want, s)
		}
	}
}
