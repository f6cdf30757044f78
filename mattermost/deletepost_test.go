package mattermost

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

// With delete_input_on_submission, answering a prompt deletes its post. The post id comes from
// the interaction body, which Mattermost does not authenticate: it must not let a token holder
// delete any post the bot can delete (every post, for the system-admin bot ephemeral posts need).
func TestAnswerDeletesOnlyItsPrompt(t *testing.T) {
	e := newEnv(t, true)
	send := func(channel string, m opsgate.Message) (id string, body map[string]any) {
		e.Advance(time.Second) // prompts signed in the same second for the same user are one token
		conv, err := e.h.Conversation(context.Background(), channel, "u1", false)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := conv.Send(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		// Not the last post: the reply to the previous answer may land after this one.
		return string(ref), e.mm.created(t, string(ref)).Body
	}
	menu := opsgate.Message{Blocks: []opsgate.Block{opsgate.Menu{Prompt: "Which site?", Prefix: "site", Choices: sites[:3]}}}
	act := func(postID string, body map[string]any, value string) {
		ctx, _ := menuOf(t, call{Body: map[string]any{"post": body}})
		b, _ := json.Marshal(map[string]any{"user_id": "u1", "channel_id": "ch1", "team_id": "team1", "post_id": postID,
			"context": with(ctx, "selected_option", value)})
		if code, _ := e.send(PathInteraction, "application/json", string(b), nil); code != 200 {
			t.Fatal(code)
		}
		e.Next()
	}

	// A post by a user, and the bot's own post in another channel, are not the prompt answered.
	otherID, _ := send("ch2", opsgate.Textf("status in ch2"))
	victims := []string{"user-post", otherID}
	for i, victim := range victims {
		_, body := send("ch1", menu)
		act(victim, body, fmt.Sprint("site-", i+1))
	}
	// The prompt's own post is deleted.
	own, body := send("ch1", menu)
	act(own, body, "site-3")
	e.mm.waitCalls(t, "DELETE", "/api/v4/posts/"+own, 1)
	time.Sleep(50 * time.Millisecond)
	for _, victim := range victims {
		if d := e.mm.find("DELETE", "/api/v4/posts/"+victim); len(d) != 0 {
			t.Fatalf("answering a prompt deleted post %s", victim)
		}
	}
}
