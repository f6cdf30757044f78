package matrixfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
)

var txnSeq atomic.Int64

// Client is a person's Matrix client in a test: it calls a homeserver's Client-Server API (this
// package's Server, or a real one) with an access token.
type Client struct {
	BaseURL string
	Token   string
}

// As returns a client of s for the holder of token.
func (s *Server) As(token string) *Client { return &Client{BaseURL: s.URL, Token: token} }

// Do calls the API (path under /_matrix/client/v3) and returns the status and the decoded answer.
func (c *Client) Do(method, path string, body any) (int, map[string]any) {
	b := []byte(nil)
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, c.BaseURL+"/_matrix/client/v3"+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, map[string]any{"error": err.Error()}
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// CreateRoom creates a private room, inviting the others, and returns its id.
func (c *Client) CreateRoom(name string, invite ...string) string {
	_, out := c.Do("POST", "/createRoom", map[string]any{"name": name, "invite": invite, "preset": "private_chat"})
	id, _ := out["room_id"].(string)
	return id
}

// Join joins a room.
func (c *Client) Join(roomID string) int {
	status, _ := c.Do("POST", "/rooms/"+url.PathEscape(roomID)+"/join", map[string]any{})
	return status
}

// Send sends an m.room.message with content and returns its event id.
func (c *Client) Send(roomID string, content map[string]any) string {
	_, out := c.Do("PUT", fmt.Sprintf("/rooms/%s/send/m.room.message/fake%d", url.PathEscape(roomID), txnSeq.Add(1)), content)
	id, _ := out["event_id"].(string)
	return id
}

// Say sends text as an m.text message.
func (c *Client) Say(roomID, text string) string {
	return c.Send(roomID, map[string]any{"msgtype": "m.text", "body": text})
}

// SayInThread sends text in the thread under root.
func (c *Client) SayInThread(roomID, root, text string) string {
	return c.Send(roomID, map[string]any{"msgtype": "m.text", "body": text,
		"m.relates_to": map[string]any{"rel_type": "m.thread", "event_id": root, "is_falling_back": true,
			"m.in_reply_to": map[string]any{"event_id": root}}})
}

// Messages returns the room's latest events, oldest first (GET /rooms/{id}/messages).
func (c *Client) Messages(roomID string) []map[string]any {
	_, out := c.Do("GET", "/rooms/"+url.PathEscape(roomID)+"/messages?dir=b&limit=100", nil)
	chunk, _ := out["chunk"].([]any)
	evs := make([]map[string]any, 0, len(chunk))
	for i := len(chunk) - 1; i >= 0; i-- {
		if e, ok := chunk[i].(map[string]any); ok {
			evs = append(evs, e)
		}
	}
	return evs
}

// Membership returns user's membership of room as the room's state shows it ("" when none).
func (c *Client) Membership(roomID, user string) string {
	status, out := c.Do("GET", "/rooms/"+url.PathEscape(roomID)+"/state/m.room.member/"+url.PathEscape(user), nil)
	if status != 200 {
		return ""
	}
	m, _ := out["membership"].(string)
	return m
}

// Invited returns the rooms the client's user is invited to, from a sync.
func (c *Client) Invited() []string {
	_, out := c.Do("GET", "/sync?timeout=0", nil)
	rooms, _ := out["rooms"].(map[string]any)
	invite, _ := rooms["invite"].(map[string]any)
	var ids []string
	for id := range invite {
		ids = append(ids, id)
	}
	return ids
}
