package kit

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitMarkdownKeepsCodeBlocksClosed(t *testing.T) {
	s := CodeBlock("out", strings.Repeat("0123456789abcdefghi\n", 500))
	parts := SplitMarkdown(s, 1000)
	if len(parts) < 10 {
		t.Fatalf("%d parts", len(parts))
	}
	lines := 0
	for i, p := range parts {
		if len(p) > 1000 {
			t.Fatalf("part %d has %d bytes", i, len(p))
		}
		if strings.Count(p, "```")%2 != 0 {
			t.Fatalf("part %d leaves a code block open:\n%s", i, p)
		}
		lines += strings.Count(p, "0123456789abcdefghi")
	}
	if lines != 500 {
		t.Fatalf("%d of 500 lines", lines)
	}
	if !strings.HasPrefix(parts[0], "**out**\n```\n") {
		t.Fatalf("first part %q", parts[0][:20])
	}
}

func TestTruncateBytes(t *testing.T) {
	if got := TruncateBytes("short", 10); got != "short" {
		t.Errorf("%q", got)
	}
	got := TruncateBytes(strings.Repeat("é", 10), 9)
	if len(got) > 9 || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("%q (%d bytes)", got, len(got))
	}
}
