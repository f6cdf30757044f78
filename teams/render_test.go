package teams_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/teams"
)

// sign stands in for package callback: it names what it signed.
func sign(kind callback.Kind, prefix string, offset int) string {
	return fmt.Sprintf("tok:%c:%s:%d", kind, prefix, offset)
}

// card returns the card of activity a as Teams receives it (decoded from the JSON we send).
func card(t *testing.T, a *teams.Activity) map[string]any {
	t.Helper()
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Attachments []struct {
			ContentType string         `json:"contentType"`
			Content     map[string]any `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(b, &v); err != nil || len(v.Attachments) != 1 || v.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("not one adaptive card: %s", b)
	}
	c := v.Attachments[0].Content
	if c["type"] != "AdaptiveCard" || c["version"] != "1.5" {
		t.Fatalf("card header %v", c)
	}
	return c
}

// find returns the body elements of type typ, looking into ActionSets' actions too.
func find(c map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, e := range c["body"].([]any) {
		m := e.(map[string]any)
		if m["type"] == typ {
			out = append(out, m)
		}
		if acts, ok := m["actions"].([]any); ok {
			for _, a := range acts {
				if a.(map[string]any)["type"] == typ {
					out = append(out, a.(map[string]any))
				}
			}
		}
	}
	return out
}

func render1(t *testing.T, blocks ...opsgate.Block) map[string]any {
	t.Helper()
	acts := teams.Render(opsgate.Message{Blocks: blocks}, sign)
	if len(acts) != 1 {
		t.Fatalf("%d activities", len(acts))
	}
	return card(t, acts[0])
}

func TestRenderTextOnlyIsMarkdownMessage(t *testing.T) {
	acts := teams.Render(opsgate.Message{Blocks: []opsgate.Block{opsgate.Text{Markdown: "**done**"}, opsgate.Text{Markdown: "see [log](https://x/)"}}}, sign)
	if len(acts) != 1 || acts[0].Type != "message" || acts[0].TextFormat != "markdown" || acts[0].Text != "**done**\n\nsee [log](https://x/)" || acts[0].Attachments != nil {
		t.Fatalf("%+v", acts)
	}
}

func TestRenderBlocks(t *testing.T) {
	c := render1(t, opsgate.Header{Text: "Servers"}, opsgate.Text{Markdown: "all **good**"},
		opsgate.Fields{Fields: []opsgate.Field{{Name: "CPU", Value: "3%"}, {Name: "RAM", Value: "1 GB"}}},
		opsgate.Image{URL: "https://img.example/cpu.png", Alt: "cpu"}, opsgate.Image{Path: "/tmp/x.png", Alt: "local"})
	tb := find(c, "TextBlock")
	if tb[0]["text"] != "Servers" || tb[0]["weight"] != "Bolder" || tb[1]["text"] != "all **good**" || tb[1]["wrap"] != true {
		t.Fatalf("text blocks %v", tb)
	}
	facts := find(c, "FactSet")[0]["facts"].([]any)
	if f := facts[1].(map[string]any); len(facts) != 2 || f["title"] != "RAM" || f["value"] != "1 GB" {
		t.Fatalf("facts %v", facts)
	}
	if img := find(c, "Image"); len(img) != 1 || img[0]["url"] != "https://img.example/cpu.png" || img[0]["altText"] != "cpu" {
		t.Fatalf("image %v", img)
	}
	if tb[2]["text"] != "Image: local" {
		t.Fatalf("local image not degraded to text: %v", tb[2])
	}
}

func TestRenderTable(t *testing.T) {
	c := render1(t, opsgate.Table{Title: "Hosts", Header: []string{"name", "ip"}, Rows: [][]string{{"web-1", "10.0.0.1"}, {"db-1"}}})
	tbl := find(c, "Table")[0]
	rows := tbl["rows"].([]any)
	if tbl["firstRowAsHeader"] != true || len(tbl["columns"].([]any)) != 2 || len(rows) != 3 {
		t.Fatalf("table %v", tbl)
	}
	cell := func(r, i int) string {
		items := rows[r].(map[string]any)["cells"].([]any)[i].(map[string]any)["items"].([]any)
		return items[0].(map[string]any)["text"].(string)
	}
	if cell(0, 0) != "name" || cell(1, 1) != "10.0.0.1" || cell(2, 1) != "" {
		t.Fatalf("cells %q %q %q", cell(0, 0), cell(1, 1), cell(2, 1))
	}
	if c["msteams"].(map[string]any)["width"] != "Full" {
		t.Fatal("table card not full width")
	}
}

func TestRenderLargeTableSplitsUnderLimitWithHeaders(t *testing.T) {
	tbl := opsgate.Table{Header: []string{"host", "status"}}
	for i := range 3000 {
		tbl.Rows = append(tbl.Rows, []string{fmt.Sprintf("host-%04d.example.com", i), "ok"})
	}
	acts := teams.Render(opsgate.Message{Blocks: []opsgate.Block{tbl}}, sign)
	if len(acts) < 2 {
		t.Fatalf("a %d-row table in %d activity", len(tbl.Rows), len(acts))
	}
	rows := 0
	for _, a := range acts {
		b, _ := json.Marshal(a)
		if len(b) > teams.MaxActivitySize {
			t.Fatalf("activity of %d bytes", len(b))
		}
		for _, tb := range find(card(t, a), "Table") {
			rs := tb["rows"].([]any)
			first := rs[0].(map[string]any)["cells"].([]any)[0].(map[string]any)["items"].([]any)[0].(map[string]any)["text"]
			if first != "host" {
				t.Fatal("continued table without its header row")
			}
			rows += len(rs) - 1
		}
	}
	if rows != len(tbl.Rows) {
		t.Fatalf("%d rows rendered, want %d", rows, len(tbl.Rows))
	}
}

func TestRenderLongTextSplitsUnderLimit(t *testing.T) {
	long := strings.Repeat("line of output \"quoted\" <tag>\n", 12000) // ~360 KB
	for _, m := range []opsgate.Message{
		{Blocks: []opsgate.Block{opsgate.Text{Markdown: long}}},
		{Blocks: []opsgate.Block{opsgate.Header{Text: "log"}, opsgate.Snippet{Title: "out", Content: long}}},
	} {
		acts := teams.Render(m, sign)
		var got strings.Builder
		for _, a := range acts {
			b, _ := json.Marshal(a)
			if len(b) > teams.MaxActivitySize {
				t.Fatalf("activity of %d bytes", len(b))
			}
			if a.Text != "" {
				got.WriteString(a.Text)
				continue
			}
			for _, cb := range find(card(t, a), "CodeBlock") {
				got.WriteString(cb["codeSnippet"].(string))
			}
		}
		if got.String() != long {
			t.Fatalf("split lost text: %d of %d bytes in %d activities", got.Len(), len(long), len(acts))
		}
	}
}

func TestRenderSnippetIsCodeBlockWithFallback(t *testing.T) {
	c := render1(t, opsgate.Snippet{Title: "df", Content: "Filesystem  Size\n/dev/sda1   20G"})
	cb := find(c, "CodeBlock")[0]
	fb := cb["fallback"].(map[string]any)
	if cb["codeSnippet"] != "Filesystem  Size\n/dev/sda1   20G" || fb["fontType"] != "Monospace" || fb["text"] != cb["codeSnippet"] {
		t.Fatalf("code block %v", cb)
	}
}

// submitted returns the value Teams posts back when the user presses action after filling inputs.
func submitted(t *testing.T, action map[string]any, inputs map[string]any) *teams.Submission {
	t.Helper()
	v := map[string]any{}
	for k, x := range action["data"].(map[string]any) {
		v[k] = x
	}
	for k, x := range inputs {
		v[k] = x
	}
	raw, _ := json.Marshal(v)
	s, ok, err := teams.DecodeSubmission(&teams.Activity{Type: "message", Value: raw})
	if !ok || err != nil {
		t.Fatalf("submission not decoded: %v", err)
	}
	return s
}

func TestRenderButtons(t *testing.T) {
	c := render1(t, opsgate.Actions{Buttons: []opsgate.Button{{Label: "Restart", Command: "svc restart web", Style: "danger"}, {Label: "Status", Command: "svc status web"}}})
	acts := find(c, "Action.Submit")
	if len(acts) != 2 || acts[0]["title"] != "Restart" || acts[0]["style"] != "destructive" {
		t.Fatalf("buttons %v", acts)
	}
	if s := submitted(t, acts[1], nil); s.Token != "tok:b:svc status web:0" {
		t.Fatalf("button token %q", s.Token)
	}
}

func TestRenderMenuPagesAndSubmits(t *testing.T) {
	var choices []opsgate.Choice
	for i := range 150 {
		choices = append(choices, opsgate.Choice{Label: fmt.Sprintf("Host %d", i), Value: fmt.Sprintf("h%d", i)})
	}
	c := render1(t, opsgate.Menu{Prompt: "Which host?", Prefix: "svc restart", Choices: choices})
	in := find(c, "Input.ChoiceSet")[0]
	cs := in["choices"].([]any)
	if len(cs) != 101 || cs[100].(map[string]any)["value"] != teams.NextValue || in["isRequired"] != true {
		t.Fatalf("%d choices, last %v", len(cs), cs[len(cs)-1])
	}
	acts := find(c, "Action.Submit")
	s := submitted(t, acts[0], map[string]any{"ogChoice": "h7"})
	if s.Token != "tok:m:svc restart:0" || s.Value != "h7" {
		t.Fatalf("menu submission %+v", s)
	}
	if acts[1]["title"] != "Cancel" || acts[1]["associatedInputs"] != "none" || submitted(t, acts[1], nil).Token != "tok:c::0" {
		t.Fatalf("cancel %v", acts[1])
	}
	// The next page is signed with its offset.
	c = render1(t, opsgate.Menu{Prompt: "Which host?", Prefix: "svc restart", Choices: choices, Offset: 100})
	if cs := find(c, "Input.ChoiceSet")[0]["choices"].([]any); len(cs) != 50 || find(c, "Action.Submit")[0]["data"].(map[string]any)["ogToken"] != "tok:m:svc restart:100" {
		t.Fatalf("second page: %d choices", len(cs))
	}
}

func TestRenderTextPromptAndDialog(t *testing.T) {
	c := render1(t, opsgate.TextPrompt{Prompt: "Reason?", Prefix: "deploy web"})
	if in := find(c, "Input.Text"); len(in) != 1 {
		t.Fatal("no text input")
	}
	if s := submitted(t, find(c, "Action.Submit")[0], map[string]any{"ogText": "hotfix"}); s.Token != "tok:t:deploy web:0" || s.Value != "hotfix" {
		t.Fatalf("text prompt %+v", s)
	}
	c = render1(t, opsgate.Dialog{Title: "Deploy", Prefix: "deploy", Fields: []opsgate.DialogField{
		{Type: "select", Name: "env", Label: "Environment", Choices: []opsgate.Choice{{Label: "Prod", Value: "prod"}, {Value: "dev"}}, Default: "dev"},
		{Type: "text", Name: "note", Label: "Note", Optional: true},
	}})
	sel, txt := find(c, "Input.ChoiceSet"), find(c, "Input.Text")
	if len(sel) != 1 || len(txt) != 1 || sel[0]["label"] != "Environment" || sel[0]["value"] != "dev" || sel[0]["isRequired"] != true || txt[0]["isRequired"] != false {
		t.Fatalf("inputs %v %v", sel, txt)
	}
	s := submitted(t, find(c, "Action.Submit")[0], map[string]any{"ogField0": "prod"})
	if s.Token != "tok:d:deploy:0" || len(s.Fields) != 2 || s.Fields[0] != "prod" || s.Fields[1] != "" {
		t.Fatalf("dialog submission %+v", s)
	}
}

func TestRenderOversizedFieldsStayUnderLimit(t *testing.T) {
	huge := strings.Repeat("x", 200<<10)
	acts := teams.Render(opsgate.Message{Blocks: []opsgate.Block{
		opsgate.Fields{Fields: []opsgate.Field{{Name: "blob", Value: huge}}},
		opsgate.Table{Header: []string{"a"}, Rows: [][]string{{huge}}},
	}}, sign)
	for _, a := range acts {
		if b, _ := json.Marshal(a); len(b) > teams.MaxActivitySize {
			t.Fatalf("activity of %d bytes", len(b))
		}
	}
}

func TestRenderEmptyMessageSendsNothing(t *testing.T) {
	for _, m := range []opsgate.Message{{}, {Blocks: []opsgate.Block{opsgate.Text{Markdown: "  \n"}}}, {Blocks: []opsgate.Block{opsgate.Actions{}}}} {
		if acts := teams.Render(m, sign); len(acts) != 0 {
			t.Errorf("%+v rendered as %d activities", m, len(acts))
		}
	}
}
