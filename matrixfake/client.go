package matrixfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
)

var txnSeq atomic.Int64

// Do calls the server's Client-Server API as the holder of token would and returns the status
// and the decoded answer.
func (s *Server) Do(token, method, path string, body any) (int, map[string]any) {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, s.URL+"/_matrix/client/v3"+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
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

// CreateRoom creates a room as token's user, inviting the others, and returns its id.
func (s *Server) CreateRoom(token, name string, invite ...string) string {
	_, out := s.Do(token, "POST", "/createRoom", map[string]any{"name": name, "invite": invite, "preset": "private_chat"})
	id, _ := out["room_id"].(string)
	return id
}

// Send sends an m.room.message with content as token's user and returns its event id.
func (s *Server) Send(token, roomID string, content map[string]any) string {
	_, out := s.Do(token, "PUT", fmt.Sprintf("/rooms/%s/send/m.room.message/fake%d", roomID, txnSeq.Add(1)), content)
	id, _ := out["event_id"].(string)
	return id
}

// Say sends text as an m.text message.
func (s *Server) Say(token, roomID, text string) string {
	return s.Send(token, roomID, map[string]any{"msgtype": "m.text", "body": text})
}

// SayInThread sends text in the thread under root.
func (s *Server) SayInThread(token, roomID, root, text string) string {
	return s.Send(token, roomID, map[string]any{"msgtype": "m.text", "body": text,
		"m.relates_to": map[string]any{"rel_type": "m.thread", "event_id": root, "is_falling_back": true,
			"m.in_reply_to": map[string]any{"event_id": root}}})
}
