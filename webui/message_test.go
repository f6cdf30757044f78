package webui

import "testing"

func TestMarkdown(t *testing.T) {
	for in, want := range map[string]string{
		"*bold* and `code`":            "<strong>bold</strong> and <code>code</code>",
		"<script>x</script>":           "&lt;script&gt;x&lt;/script&gt;",
		"out:\n```\nline1\nline2\n```": "out:<br><pre>line1\nline2</pre>",
		"see <https://x.example|x>":    `see <a href="https://x.example" rel="noopener noreferrer">x</a>`,
		"unclosed ``` fence":           "unclosed ``` fence",
	} {
		if got := string(markdown(in)); got != want {
			t.Errorf("markdown(%q) = %q, want %q", in, got, want)
		}
	}
}
