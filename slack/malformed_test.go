package slack

import (
	"testing"

	"github.com/opsgate/opsgate/callback"
)

// A view submission without state (a modal without inputs, or any payload Slack shapes so) must be
// answered, not crash the handler: over Socket Mode a panic there ends the whole process.
func TestViewSubmissionWithoutState(t *testing.T) {
	e := newEnv(t, false)
	meta := e.h.Callbacks.Sign(callback.Payload{Kind: callback.KindDialog, Prefix: "form", UserID: "U1", ChannelID: "C1"})
	for _, state := range []any{nil, "absent"} {
		p := viewSubmission("U1", meta, nil)
		view := p["view"].(map[string]any)
		if state == "absent" {
			delete(view, "state")
		} else {
			view["state"] = state
		}
		code, body := e.interact(p)
		if code != 200 {
			t.Fatalf("state %v: %d %q", state, code, body)
		}
		if r := e.Next(); r.Text != "form" || r.UserID != "U1" {
			t.Fatalf("submission re-ran %+v", r)
		}
	}
}
