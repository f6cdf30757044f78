package discord

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate/discordfake"
)

func TestPingIsAnsweredPong(t *testing.T) {
	e := newEnv(t)
	code, resp := e.interact(e.dc.Ping())
	if code != 200 || resp["type"] != float64(1) {
		t.Fatalf("ping: %d %v", code, resp)
	}
}

// Discord sends deliberately bad requests: every forgery gets a 401, is counted by reason, and
// nothing reaches the pipeline.
func TestForgeriesRefusedAndCounted(t *testing.T) {
	e := newEnv(t)
	in := e.dc.Command(alice, "whoami", "")
	body, _ := json.Marshal(in)
	good := e.dc.Sign(body, e.Now())
	cases := []struct {
		name, reason string
		body         []byte
		header       map[string][]string
	}{
		{"bad signature", "bad_signature", body, map[string][]string{"X-Signature-Ed25519": {strings.Repeat("ab", 64)}, "X-Signature-Timestamp": good["X-Signature-Timestamp"]}},
		{"changed body", "bad_signature", []byte(strings.Replace(string(body), "whoami", "reboot", 1)), good},
		{"stale timestamp", "stale_timestamp", body, e.dc.Sign(body, e.Now().Add(-DefaultWindow-time.Second))},
		{"future timestamp", "stale_timestamp", body, e.dc.Sign(body, e.Now().Add(DefaultWindow+time.Second))},
		{"signed with another timestamp", "bad_signature", body, map[string][]string{"X-Signature-Ed25519": good["X-Signature-Ed25519"], "X-Signature-Timestamp": {"1800000001"}}},
		{"no signature", "missing_signature", body, nil},
	}
	for _, c := range cases {
		before := testutil.ToFloat64(rejected.WithLabelValues(c.reason))
		code, resp, err := discordfake.Send(e.url(), c.body, c.header)
		if err != nil {
			t.Fatal(err)
		}
		if code != 401 || !strings.Contains(string(resp), "invalid request signature") {
			t.Errorf("%s: %d %s, want 401", c.name, code, resp)
		}
		if got := testutil.ToFloat64(rejected.WithLabelValues(c.reason)) - before; got != 1 {
			t.Errorf("%s: counted %v refusals of reason %s, want 1", c.name, got, c.reason)
		}
	}
	e.None()
	// The same signed request, once within the window, runs once.
	if code, _, _ := discordfake.Send(e.url(), body, good); code != 200 {
		t.Fatalf("genuine request: %d", code)
	}
	e.Next()
	before := testutil.ToFloat64(rejected.WithLabelValues("replayed"))
	if code, _, _ := discordfake.Send(e.url(), body, good); code != 409 {
		t.Fatalf("replayed request: %d, want 409", code)
	}
	if testutil.ToFloat64(rejected.WithLabelValues("replayed"))-before != 1 {
		t.Fatal("replay not counted")
	}
	e.None()
}

// A slash command becomes "name text" from the guild, channel and member; an answer ready within
// the wait is the interaction's response (type 4), ephemeral when the message is.
func TestSlashCommandAnsweredAtOnce(t *testing.T) {
	e := newEnv(t)
	code, resp := e.interact(e.dc.Command(alice, "nautobot", "get-devices site-1"))
	req := e.Next()
	if req.Platform != "discord" || req.OrgID != "G1" || req.ChannelID != "C1" || req.ChannelName != "ch-C1" ||
		req.UserID != "111" || req.UserName != "alice" || req.Direct || req.Text != "nautobot get-devices site-1" {
		t.Fatalf("request: %+v", req)
	}
	content, flags, _ := data(resp)
	if code != 200 || resp["type"] != float64(4) || content != "ran: nautobot get-devices site-1" || flags != 0 {
		t.Fatalf("answer: %d %v", code, resp)
	}
	// In a direct message the user is "user", there is no guild.
	e.interact(e.dc.Command(discordfake.Who{Channel: "D9", UserID: "222", UserName: "bob"}, "whoami", ""))
	if req := e.Next(); req.UserID != "222" || req.OrgID != "" || !req.Direct || req.Text != "whoami" {
		t.Fatalf("DM request: %+v", req)
	}
}

// A refused request (overloaded) is answered at once, privately.
func TestBusyRefusalIsEphemeral(t *testing.T) {
	e := newEnv(t)
	_, resp := e.interact(e.dc.Command(alice, "deploy", "busy"))
	e.Next()
	if content, flags, _ := data(resp); !strings.Contains(content, "overloaded") || flags != 64 {
		t.Fatalf("refusal: %v", resp)
	}
}

// A command not finished within the wait is answered "deferred" (type 5, private); its result
// replaces the loading state when private, or follows up in the channel with a note when public.
func TestSlowCommandDeferredThenFollowedUp(t *testing.T) {
	e := newEnv(t)
	e.h.AnswerWithin = time.Millisecond
	in1 := e.dc.Command(alice, "slow", "private")
	_, resp := e.interact(in1)
	e.Next()
	if _, flags, _ := data(resp); resp["type"] != float64(5) || flags != 64 {
		t.Fatalf("deferred answer: %v", resp)
	}
	in2 := e.dc.Command(alice, "slow", "public")
	_, resp = e.interact(in2)
	e.Next()
	if resp["type"] != float64(5) {
		t.Fatalf("deferred answer: %v", resp)
	}
	close(e.slow)
	posted := e.dc.WaitPosted(3)
	byToken := map[string][]discordfake.Posted{}
	for _, p := range posted {
		byToken[p.Where] = append(byToken[p.Where], p)
	}
	if p := byToken[in1.Token()]; len(p) != 1 || p[0].Kind != "original" || p[0].Content != "slow done: slow private" {
		t.Fatalf("private result: %+v", p)
	}
	p := byToken[in2.Token()]
	if len(p) != 2 || p[0].Kind != "original" || p[1].Kind != "followup" || p[1].Content != "slow done: slow public" || p[1].Flags != 0 {
		t.Fatalf("public result: %+v", p)
	}
}
