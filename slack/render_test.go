package slack

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/opsgate/opsgate"
)

// Fields show as sections of at most 10 mrkdwn texts, "*name*" over the value, each escaped,
// converted and cut to Slack's 2,000 characters.
func TestFieldsRenderAsSections(t *testing.T) {
	fs := []opsgate.Field{{Name: "A & B", Value: "**x** [y](https://z)"}, {Name: "n", Value: ""}, {Name: "long", Value: strings.Repeat("é", 2100)}}
	for i := range 8 {
		fs = append(fs, opsgate.Field{Name: "f" + strconv.Itoa(i), Value: "<v>"})
	}
	parts := (&conversation{h: New(Options{})}).render(opsgate.Message{Blocks: []opsgate.Block{opsgate.Fields{Fields: fs}}})
	if len(parts) != 1 || len(parts[0].blocks) != 2 {
		t.Fatalf("got %d parts, want one post of two sections", len(parts))
	}
	var texts []string
	for _, b := range parts[0].blocks {
		for _, f := range b.(*slack.SectionBlock).Fields {
			if f.Type != slack.MarkdownType || f.Emoji != nil || f.Verbatim {
				t.Fatalf("field %+v is not plain mrkdwn", f)
			}
			texts = append(texts, f.Text)
		}
	}
	if len(parts[0].blocks[0].(*slack.SectionBlock).Fields) != 10 || len(texts) != 11 {
		t.Fatalf("got %d texts, want 10 in the first section and 11 in all", len(texts))
	}
	long := "*long*\n" + strings.Repeat("é", 2000-len("*long*\n")-1) + "…"
	want := []string{"*A &amp; B*\n*x* <https://z|y>", "*n*\n", long, "*f0*\n&lt;v&gt;"}
	for i, w := range want {
		if texts[i] != w {
			t.Errorf("field %d = %q, want %q", i, texts[i], w)
		}
	}
	if n := utf8.RuneCountInString(texts[2]); n != 2000 {
		t.Errorf("long field has %d characters, want 2000", n)
	}
}
