package mattermost

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opsgate/opsgate/kit/kittest"
)

// The note closing a menu prompt echoes the chosen value: a secret value is not posted back.
func TestAnswerEchoIsRedacted(t *testing.T) {
	e := newEnv(t, false)
	e.h.Redactor = kittest.RedactWord("site-7")
	e.slash("u1", "/site", "")
	e.Next()
	ctx1, _ := menuOf(t, e.mm.waitCalls(t, "POST", "/api/v4/posts/ephemeral", 1)[0])
	code, out := e.act("u1", with(ctx1, "selected_option", "site-7"))
	e.Next()
	upd, ok := out["update"].(map[string]any)
	if code != 200 || !ok {
		t.Fatalf("prompt not closed: %d %v", code, out)
	}
	if msg := fmt.Sprint(upd["message"]); !strings.Contains(msg, "chose") || strings.Contains(msg, "site-7") {
		t.Fatalf("closing note %q: want the choice echoed redacted", msg)
	}
}
