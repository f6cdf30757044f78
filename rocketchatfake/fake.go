// Package rocketchatfake is a stand-in for Rocket.Chat, for tests: a real HTTP server speaking the
// REST API calls opsgate makes (chat.postMessage, im.create, chat.delete, authenticated with
// X-Auth-Token and X-User-Id) and a sender of outgoing-webhook requests shaped as Rocket.Chat
// sends them.
package rocketchatfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opsgate/opsgate/kit/kittest"
)

// Posted is a message posted through chat.postMessage.
type Posted struct {
	// Room is the room id the message went to (a "#name" or "@user" channel resolved to an id).
	Room string
	Text string
	TMID string
}

// Server is the fake Rocket.Chat.
type Server struct {
	*httptest.Server
	UserID, AuthToken string

	mu      sync.Mutex
	posted  kittest.Log[Posted]
	deleted []string
	next    int
}

// New starts a fake whose bot user is userID with authToken.
func New(userID, authToken string) *Server {
	s := &Server{UserID: userID, AuthToken: authToken}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/chat.postMessage", s.auth(s.postMessage))
	mux.HandleFunc("POST /api/v1/im.create", s.auth(s.imCreate))
	mux.HandleFunc("POST /api/v1/chat.delete", s.auth(s.chatDelete))
	s.Server = httptest.NewServer(mux)
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) auth(f func(http.ResponseWriter, map[string]any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") != s.AuthToken || r.Header.Get("X-User-Id") != s.UserID {
			writeJSON(w, 401, map[string]any{"status": "error", "message": "You must be logged in to do this."})
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeJSON(w, 400, map[string]any{"success": false, "error": "Invalid JSON"})
			return
		}
		f(w, body)
	}
}

func (s *Server) postMessage(w http.ResponseWriter, body map[string]any) {
	room, _ := body["roomId"].(string)
	if ch, _ := body["channel"].(string); room == "" && ch != "" {
		room = strings.NewReplacer("#", "room-", "@", "dm-").Replace(ch) // resolved by name
	}
	text, _ := body["text"].(string)
	if room == "" {
		writeJSON(w, 400, map[string]any{"success": false, "error": "The 'roomId' or 'channel' property must be provided", "errorType": "error-invalid-params"})
		return
	}
	if len([]rune(text)) > 5000 {
		writeJSON(w, 400, map[string]any{"success": false, "error": "Message size exceeds the allowed limit", "errorType": "error-message-size-exceeded"})
		return
	}
	tmid, _ := body["tmid"].(string)
	s.mu.Lock()
	s.next++
	id := fmt.Sprintf("msg%d", s.next)
	s.mu.Unlock()
	s.posted.Add(Posted{Room: room, Text: text, TMID: tmid})
	writeJSON(w, 200, map[string]any{"success": true, "channel": room, "ts": time.Now().UnixMilli(),
		"message": map[string]any{"_id": id, "rid": room, "msg": text, "u": map[string]any{"_id": s.UserID, "username": "opsgate"}}})
}

// imCreate returns the direct room with username: "dm-" + the username.
func (s *Server) imCreate(w http.ResponseWriter, body map[string]any) {
	u, _ := body["username"].(string)
	if u == "" {
		writeJSON(w, 400, map[string]any{"success": false, "error": "Body param \"username\" or \"usernames\" is required"})
		return
	}
	writeJSON(w, 200, map[string]any{"success": true, "room": map[string]any{"_id": "dm-" + u, "rid": "dm-" + u, "t": "d", "usernames": []string{"opsgate", u}}})
}

func (s *Server) chatDelete(w http.ResponseWriter, body map[string]any) {
	id, _ := body["msgId"].(string)
	s.mu.Lock()
	s.deleted = append(s.deleted, id)
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"success": true, "_id": id})
}

// Posted returns the messages posted so far.
func (s *Server) Posted() []Posted { return s.posted.All() }

// WaitPosted waits until at least n messages were posted (5 s at most) and returns them all.
func (s *Server) WaitPosted(n int) []Posted { return s.posted.Wait(n) }

// Deleted returns the ids of the messages deleted so far.
func (s *Server) Deleted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.deleted...)
}

// Message is one chat message the outgoing webhook fires for.
type Message struct {
	Token, ChannelID, ChannelName, UserID, UserName, Text, TriggerWord, TMID string
	Bot                                                                      bool
}

// Outgoing posts m to url as an outgoing-webhook integration does, under message id id; it
// returns the status and the answer's body.
func (s *Server) Outgoing(url, id string, m Message) (int, string, error) {
	body := map[string]any{"token": m.Token, "bot": m.Bot, "channel_id": m.ChannelID, "channel_name": m.ChannelName,
		"message_id": id, "timestamp": time.Now().UTC().Format(time.RFC3339Nano), "user_id": m.UserID, "user_name": m.UserName,
		"text": m.Text, "siteUrl": s.URL + "/"}
	if m.TriggerWord != "" {
		body["trigger_word"] = m.TriggerWord
	}
	if m.TMID != "" {
		body["tmid"] = m.TMID
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), nil
}

// Rooms lists the rooms posted to, sorted.
func (s *Server) Rooms() []string {
	seen := map[string]bool{}
	for _, p := range s.Posted() {
		seen[p.Room] = true
	}
	var out []string
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}
