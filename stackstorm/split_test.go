package stackstorm

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opsgate/opsgate"
)

func TestSplitTextNeverTruncates(t *testing.T) {
	long := strings.Repeat("línea de texto ", 400) // multi-byte runes
	pieces := SplitText(long, 500)
	if len(pieces) < 12 {
		t.Fatalf("pieces = %d", len(pieces))
	}
	var joined strings.Builder
	for _, p := range pieces {
		if n := utf8.RuneCountInString(p); n > 500 {
			t.Fatalf("piece of %d runes", n)
		}
		joined.WriteString(p)
	}
	if strings.ReplaceAll(joined.String(), " ", "") != strings.ReplaceAll(long, " ", "") {
		t.Fatal("text lost")
	}
}

func TestSplitTextKeepsCodeBlocks(t *testing.T) {
	code := "```\n" + strings.Repeat("line\n", 100) + "```"
	pieces := SplitText(code, 120)
	for _, p := range pieces {
		if strings.Count(p, "```")%2 != 0 || utf8.RuneCountInString(p) > 120 {
			t.Fatalf("unbalanced or long piece %q", p)
		}
	}
	if got := strings.Count(strings.Join(pieces, ""), "line"); got != 100 {
		t.Fatalf("lines = %d", got)
	}
}

func TestAnnouncementMessagesRenderAttachments(t *testing.T) {
	a := Announcement{Pretext: "Result", Message: "ok", Extra: map[string]any{"slack": map[string]any{"attachments": []any{
		map[string]any{"title": "Deploy", "text": "done", "fields": []any{map[string]any{"title": "env", "value": "prod"}}},
	}}}}
	got := messageText(a.Messages("slack", 3000, opsgate.NopRedactor{})[0])
	if got != "Result\nok\n# Deploy\ndone\nenv: prod\n" {
		t.Fatalf("rendered %q", got)
	}
	if got := messageText(a.Messages("mattermost", 0, opsgate.NopRedactor{})[0]); got != "Result\nok\n" {
		t.Fatalf("other platform's extra used: %q", got)
	}
}
