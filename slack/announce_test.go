package slack

import (
	"context"
	"testing"

	"github.com/opsgate/opsgate"
)

func TestConversationForAnnouncements(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	e.h.Conversation("C42", "", false).Send(ctx, opsgate.Textf("deploy finished"))
	e.h.Conversation("C42", "U7", true).Send(ctx, opsgate.Textf("only for you"))
	posts := e.slack.waitCalls(t, "chat.postMessage", 2)
	if posts[0].Form.Get("channel") != "C42" || posts[1].Form.Get("channel") != "U7" {
		t.Fatalf("posted to %q and %q, want C42 and the user's DM (U7)", posts[0].Form.Get("channel"), posts[1].Form.Get("channel"))
	}
	if e.slack.count("chat.postEphemeral") != 0 {
		t.Fatal("an announcement must be a real post, not ephemeral")
	}
}
