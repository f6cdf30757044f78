package kit

import (
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
)

func TestPromptTextSaysWhatToSend(t *testing.T) {
	var choices []opsgate.Choice
	for _, v := range []string{"a", "b c"} {
		choices = append(choices, opsgate.Choice{Value: v})
	}
	got := PromptText(opsgate.Menu{Prompt: "Which site?", Prefix: "nautobot get-devices", Choices: choices})
	if !strings.Contains(got, "Which site?") || !strings.Contains(got, "`nautobot get-devices <choice>`") || !strings.Contains(got, "'b c'") {
		t.Fatalf("menu as text: %q", got)
	}
	got = PromptText(opsgate.Dialog{Title: "New device", Prefix: "form", Fields: []opsgate.DialogField{{Name: "name"}, {Name: "role"}}})
	if !strings.Contains(got, "`form <name> <role>`") {
		t.Fatalf("dialog as text: %q", got)
	}
	if md, ok := BlockMarkdown(opsgate.Menu{}); ok || md != "" {
		t.Fatal("a menu is not plain Markdown")
	}
	if md, _ := BlockMarkdown(opsgate.Fields{Fields: []opsgate.Field{{Name: "User", Value: "42"}}}); md != "**User:** 42" {
		t.Fatalf("fields: %q", md)
	}
}
