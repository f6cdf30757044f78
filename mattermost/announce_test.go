package mattermost

import (
	"context"
	"testing"

	"github.com/opsgate/opsgate"
)

func TestConversationForAnnouncements(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	d, err := e.h.Conversation(ctx, "chan1", "", false)
	if err != nil {
		t.Fatal(err)
	}
	d.Send(ctx, opsgate.Textf("deploy finished"))
	posts := e.mm.waitCalls(t, "POST", "/api/v4/posts", 1)
	if posts[0].Body["channel_id"] != "chan1" || posts[0].Body["message"] != "deploy finished" {
		t.Fatalf("channel post: %v", posts[0].Body)
	}
	// Private (st2 whisper): a direct channel between the bot and the user, opened once per user.
	for i := 0; i < 2; i++ {
		d, err = e.h.Conversation(ctx, "chan1", "alice", true)
		if err != nil {
			t.Fatal(err)
		}
		d.Send(ctx, opsgate.Textf("only for you"))
	}
	posts = e.mm.waitCalls(t, "POST", "/api/v4/posts", 3)
	if posts[1].Body["channel_id"] != "dm-botuser-alice" || posts[2].Body["channel_id"] != "dm-botuser-alice" {
		t.Fatalf("private posts went to %v, %v", posts[1].Body["channel_id"], posts[2].Body["channel_id"])
	}
	if n := len(e.mm.find("GET", "/api/v4/users/me")); n != 1 {
		t.Fatalf("bot user looked up %d times, want once", n)
	}
}
