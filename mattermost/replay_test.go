package mattermost

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate/callback"
)

// Mattermost does not authenticate interaction requests: whoever holds a prompt's context can
// post it straight to opsgate, claiming the prompt's user. Once the prompt was answered, a copy
// of its token (from a log, a proxy, a Mattermost bug leaking integration context) must not run
// again, neither the same answer nor another value of the attacker's choosing.
func TestAnsweredPromptCannotBeReplayed(t *testing.T) {
	e := newEnv(t, false)
	e.slash("u1", "/site", "")
	e.Next()
	ctx, _ := menuOf(t, e.mm.waitCalls(t, "POST", "/api/v4/posts/ephemeral", 1)[0])
	if code, _ := e.act("u1", with(ctx, "selected_option", "site-3")); code != 200 {
		t.Fatal(code)
	}
	if r := e.Next(); r.Text != "site site-3" || r.UserID != "u1" {
		t.Fatalf("answer re-ran %+v", r)
	}

	before := testutil.ToFloat64(rejected.WithLabelValues("replayed_callback"))
	for _, v := range []string{"site-3", "site-99; drop"} {
		code, out := e.act("u1", with(ctx, "selected_option", v))
		if code != 200 || !strings.Contains(fmt.Sprint(out["ephemeral_text"]), "already answered") {
			t.Fatalf("replay of %q: %d %v", v, code, out)
		}
		e.None()
	}
	if got := testutil.ToFloat64(rejected.WithLabelValues("replayed_callback")); got != before+2 {
		t.Fatalf("replayed_callback = %v, want %v", got, before+2)
	}

	// A dialog's state is answered once too.
	e.slash("u1", "/form", "")
	e.Next()
	state := e.mm.waitCalls(t, "POST", "/api/v4/actions/dialogs/open", 1)[0].Body["dialog"].(map[string]any)["state"].(string)
	submit := func(f0 string) (int, string) {
		b, _ := json.Marshal(map[string]any{"type": "dialog_submission", "callback_id": "opsgate", "state": state,
			"user_id": "u1", "submission": map[string]any{"f0": f0, "f1": "spine"}})
		return e.send(PathInteraction, "application/json", string(b), nil)
	}
	if code, _ := submit("leaf1"); code != 200 {
		t.Fatal(code)
	}
	e.Next()
	if code, body := submit("leaf2"); code != 200 || !strings.Contains(body, `"error":"This prompt was already answered`) {
		t.Fatalf("dialog replay: %d %q", code, body)
	}
	e.None()
}

// A button, an "open form" button and a text prompt's "Answer" button run once each: a copy of
// their token cannot run the command again. An answer the pipeline refused without running it
// (overloaded) can be clicked again.
func TestButtonsRunOnce(t *testing.T) {
	e := newEnv(t, false)
	sign := func(kind callback.Kind, prefix string) map[string]any {
		return map[string]any{"t": e.h.Callbacks.Sign(callback.Payload{Kind: kind, Prefix: prefix, UserID: "u1", UserName: "alice",
			OrgID: "team1", ChannelID: "ch1", ChannelName: "town-square"})}
	}
	before := testutil.ToFloat64(rejected.WithLabelValues("replayed_callback"))
	for _, c := range []struct {
		kind callback.Kind
		ran  string
	}{{callback.KindButton, "restart web"}, {callback.KindOpenDialog, "form"}, {callback.KindText, ""}} {
		actx := sign(c.kind, "restart web")
		if c.kind == callback.KindOpenDialog {
			actx = sign(c.kind, "form")
		}
		if code, out := e.act("u1", actx); code != 200 || out["ephemeral_text"] != nil {
			t.Fatalf("kind %c: %d %v", c.kind, code, out)
		}
		if c.ran != "" {
			if r := e.Next(); r.Text != c.ran {
				t.Fatalf("kind %c ran %q", c.kind, r.Text)
			}
		}
		code, out := e.act("u1", actx)
		if code != 200 || !strings.Contains(fmt.Sprint(out["ephemeral_text"]), "already answered") {
			t.Fatalf("kind %c replayed: %d %v", c.kind, code, out)
		}
		e.None()
	}
	if got := testutil.ToFloat64(rejected.WithLabelValues("replayed_callback")); got != before+3 {
		t.Fatalf("replayed_callback = %v, want %v", got, before+3)
	}

	busy := sign(callback.KindButton, "restart busy")
	for range 2 {
		if _, out := e.act("u1", busy); out["ephemeral_text"] != "opsgate is overloaded; please try again shortly." {
			t.Fatalf("refused click: %v", out)
		}
		e.Next()
	}
}
