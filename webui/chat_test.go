package webui

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
)

func TestRenderMessageBlocksAsHTML(t *testing.T) {
	u := &UI{}
	if err := u.parse(); err != nil {
		t.Fatal(err)
	}
	html, err := u.renderMessage(opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{
		opsgate.Header{Text: "Devices"},
		opsgate.Table{Header: []string{"name", "site"}, Rows: [][]string{{"csr1", "<nyc>"}}},
		opsgate.Menu{Prompt: "Pick a site", Prefix: "nautobot get-devices", Choices: []opsgate.Choice{{Label: "New York", Value: "nyc 1"}}},
		opsgate.Dialog{Title: "Filter", Prefix: "nautobot filter", Fields: []opsgate.DialogField{{Type: "text", Name: "site", Label: "Site"},
			{Type: "select", Name: "role", Label: "Role", Choices: []opsgate.Choice{{Label: "Edge", Value: "edge"}}}}},
		opsgate.TextPrompt{Prompt: "Which host?", Prefix: "dns lookup"},
		opsgate.Actions{Buttons: []opsgate.Button{{Label: "Redeploy", Command: "network redeploy", Style: "danger"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Only you can see this.", "<h3>Devices</h3>", "<td>&lt;nyc&gt;</td>",
		`<input type="hidden" name="prefix" value="nautobot get-devices"><input type="hidden" name="answer" value="nyc 1"><button type="submit">New York</button>`,
		`<label for="dlg-site">Site</label>`, `<select id="dlg-role" name="f1">`, `<input type="hidden" name="fields" value="2">`,
		`Which host? <input name="answer" required>`, `<input type="hidden" name="text" value="network redeploy"><button type="submit" class="danger">Redeploy</button>`,
	} {
		if !strings.Contains(string(html), want) {
			t.Errorf("rendered message lacks %s\n%s", want, html)
		}
	}
}

func TestChatTextFromForms(t *testing.T) {
	for form, want := range map[string]string{
		"text=whoami": "whoami",
		"prefix=nautobot+get-devices&answer=nyc+1":       "nautobot get-devices 'nyc 1'",
		"prefix=nautobot+filter&fields=2&f0=nyc&f1=edge": "nautobot filter nyc edge",
		"prefix=dns+lookup&answer=":                      "dns lookup ''",
		"":                                               "",
	} {
		r := httptest.NewRequest("POST", "/ui/chat", strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if got := chatText(r); got != want {
			q, _ := url.ParseQuery(form)
			t.Errorf("chatText(%v) = %q, want %q", q, got, want)
		}
	}
}
