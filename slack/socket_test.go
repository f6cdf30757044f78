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
)

// socketAcks runs Socket Mode against a fake Slack that sends envelopes one by one and returns
// the acknowledgement of each, as Slack receives them.
func socketAcks(t *testing.T, e *env, envelopes ...string) []map[string]any {
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
		for _, env := range envelopes {
			c.WriteMessage(websocket.TextMessage, []byte(env))
			_, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			var ack map[string]any
			json.Unmarshal(msg, &ack)
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
