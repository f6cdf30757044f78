package slack

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opsgate/opsgate/kit/kittest"
)

// A secret typed as a text prompt's answer is not posted back in the note that closes the prompt.
func TestAnswerEchoIsRedacted(t *testing.T) {
	e := newEnv(t, false)
	e.h.Redactor = kittest.RedactWord("hunter2")
	e.slash(slashForm("U1", "/ask", ""))
	e.Next()
	c := e.slack.waitCalls(t, "chat.postMessage", 1)[0]
	var input map[string]any
	for _, b := range c.blocks(t) {
		if b["type"] == "input" {
			input = b
		}
	}
	if input == nil {
		t.Fatalf("no text prompt in %s", c.Form.Get("blocks"))
	}
	el := input["element"].(map[string]any)
	e.interact(blockActions("U1", e.slack.responseURL(), el["action_id"].(string), input["block_id"].(string),
		map[string]any{"type": "plain_text_input", "value": "hunter2"}))
	e.Next()
	note := e.slack.waitCalls(t, "response/1", 1)[0]
	text := fmt.Sprint(note.JSON["text"])
	if !strings.Contains(text, "answered") || strings.Contains(text, "hunter2") {
		t.Fatalf("closing note %q: want the answer echoed redacted", text)
	}
}
