package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/opsgate/opsgate"
)

// socketAcks runs Socket Mode against a fake Slack that sends envelopes one by one and returns
// the acknowledgement of each, as Slack receives them.
func socketAcks(t *testing.T, e *env, envelopes ...string) []map[string]any {
	return socketAcksSent(t, e, false, nil, envelopes...)
}

// socketAcksSent is socketAcks; with together, Slack sends every envelope before reading any
// acknowledgement, and they are returned in the order they arrive. onAck, when set, sees each
// acknowledgement as Slack receives it.
func socketAcksSent(t *testing.T, e *env, together bool, onAck func(map[string]any), envelopes ...string) []map[string]any {
	t.Helper()
	acks := make(chan map[string]any, len(envelopes))
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","num_connections":1,"debug_info":{"host":"fake"},"connection_info":{"app_id":"A1"}}`))
		if together {
			for _, env := range envelopes {
				c.WriteMessage(websocket.TextMessage, []byte(env))
			}
		}
		for _, env := range envelopes {
			if !together {
				c.WriteMessage(websocket.TextMessage, []byte(env))
			}
			_, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			var ack map[string]any
			json.Unmarshal(msg, &ack)
			if onAck != nil {
				onAck(ack)
			}
			acks <- ack
		}
		<-r.Context().Done()
	}))
	defer ws.Close()
	wsURL := "ws" + strings.TrimPrefix(ws.URL, "http")
	e.slack.mu.Lock()
	e.slack.connectionsOpen = func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer xapp-1-test" {
			fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"url":%q}`, wsURL)
	}
	e.slack.mu.Unlock()
	api := slack.New("xoxb-test", slack.OptionAPIURL(e.slack.GetAPIURL()), slack.OptionAppLevelToken("xapp-1-test"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.h.RunSocketMode(ctx, socketmode.New(api)) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("socket mode did not stop")
		}
	}()
	var out []map[string]any
	for range envelopes {
		select {
		case ack := <-acks:
			out = append(out, ack)
		case <-time.After(5 * time.Second):
			t.Fatalf("no ack after %d of %d envelopes", len(out), len(envelopes))
		}
	}
	return out
}

// Over Socket Mode, as over HTTP, a slash command the pipeline refuses (overloaded) is answered
// in the acknowledgement: the user sees why nothing happens.
func TestSocketModeRefusalInAck(t *testing.T) {
	e := newEnv(t, false)
	acks := socketAcks(t, e,
		`{"envelope_id":"env-busy","type":"slash_commands","accepts_response_payload":true,"payload":{"token":"x","team_id":"T1","team_domain":"acme","channel_id":"C1","channel_name":"ops","user_id":"UBUSY","user_name":"bob","command":"/network","text":"status","api_app_id":"A1","response_url":"","trigger_id":"1.2.3"}}`)
	e.Next()
	p, _ := acks[0]["payload"].(map[string]any)
	if acks[0]["envelope_id"] != "env-busy" || p["response_type"] != "ephemeral" || p["text"] != "opsgate is overloaded; please try again shortly." {
		t.Fatalf("ack = %v, want the refusal as an ephemeral payload", acks[0])
	}
}

// A command whose acknowledgement waits (for its reply) does not hold up the envelopes after it.
func TestSocketModeSlowCommandDoesNotHoldTheNext(t *testing.T) {
	e := newEnv(t, false)
	release := make(chan struct{})
	e.h.Handle = func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) string {
		if req.UserID == "USLOW" {
			<-release
		}
		return ""
	}
	slash := func(env, user string) string {
		return `{"envelope_id":"` + env + `","type":"slash_commands","accepts_response_payload":true,"payload":{"token":"x","team_id":"T1","team_domain":"acme","channel_id":"C1","channel_name":"ops","user_id":"` + user + `","user_name":"u","command":"/network","text":"status","api_app_id":"A1","response_url":"","trigger_id":"1.2.3"}}`
	}
	// The slow command goes on once the quick one's acknowledgement reached Slack: serialised,
	// that never happens and no acknowledgement comes.
	acks := socketAcksSent(t, e, true, func(ack map[string]any) {
		if ack["envelope_id"] == "env-quick" {
			close(release)
		}
	}, slash("env-slow", "USLOW"), slash("env-quick", "UQUICK"))
	if acks[0]["envelope_id"] != "env-quick" || acks[1]["envelope_id"] != "env-slow" {
		t.Fatalf("first ack = %v, want env-quick's while env-slow waits", acks[0])
	}
}

// TestSocketMode drives the Socket Mode path the way Slack does: apps.connections.open returns a
// WebSocket URL; Slack sends hello, then envelopes, and expects each envelope_id acknowledged.
func TestSocketMode(t *testing.T) {
	e := newEnv(t, false)
	acks := socketAcks(t, e,
		`{"envelope_id":"env-1","type":"slash_commands","accepts_response_payload":true,"payload":{"token":"x","team_id":"T1","team_domain":"acme","channel_id":"C1","channel_name":"ops","user_id":"U1","user_name":"alice","command":"/network","text":"status","api_app_id":"A1","response_url":"","trigger_id":"1.2.3"}}`,
		`{"envelope_id":"env-2","type":"events_api","retry_attempt":0,"retry_reason":"","accepts_response_payload":false,"payload":`+eventBody("EvS1", "app_mention", "U1", "", "<@UBOT> whoami")+`}`,
		// Slack redelivers the event on another connection: acknowledged, not run again.
		`{"envelope_id":"env-3","type":"events_api","retry_attempt":1,"retry_reason":"timeout","accepts_response_payload":false,"payload":`+eventBody("EvS1", "app_mention", "U1", "", "<@UBOT> whoami")+`}`,
	)
	for i, want := range []string{"env-1", "env-2", "env-3"} {
		if acks[i]["envelope_id"] != want {
			t.Fatalf("ack %d = %v, want %s", i, acks[i], want)
		}
	}
	if r := e.Next(); r.Text != "network status" || r.UserID != "U1" || r.OrgID != "T1" {
		t.Fatalf("slash over socket = %+v", r)
	}
	if r := e.Next(); r.Text != "whoami" || r.ThreadID == "" {
		t.Fatalf("mention over socket = %+v", r)
	}
	e.None()
}
