package matrixfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxEventBytes is the spec's limit on an event ("The complete event MUST NOT be larger than
// 65536 bytes, when formatted with the federation event format").
const maxEventBytes = 65536

func (s *Server) routes(m *http.ServeMux) {
	const p = "/_matrix/client/v3"
	m.HandleFunc("GET /_matrix/client/versions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"versions": []string{"v1.11"}})
	})
	m.HandleFunc("GET "+p+"/account/whoami", s.auth(func(w http.ResponseWriter, r *http.Request, user string) {
		if s.failed(w, "whoami") {
			return
		}
		writeJSON(w, 200, map[string]any{"user_id": user, "device_id": "OPSGATEFAKE", "is_guest": false})
	}))
	m.HandleFunc("GET "+p+"/sync", s.auth(s.sync))
	m.HandleFunc("PUT "+p+"/rooms/{room}/send/{type}/{txn}", s.auth(s.send))
	m.HandleFunc("POST "+p+"/rooms/{room}/join", s.auth(s.join))
	m.HandleFunc("POST "+p+"/join/{room}", s.auth(s.join))
	m.HandleFunc("POST "+p+"/rooms/{room}/invite", s.auth(s.invite))
	m.HandleFunc("POST "+p+"/createRoom", s.auth(s.createRoomAPI))
	m.HandleFunc("GET "+p+"/user/{user}/account_data/{type}", s.auth(s.getAccountData))
	m.HandleFunc("PUT "+p+"/user/{user}/account_data/{type}", s.auth(s.putAccountData))
	m.HandleFunc("PUT "+p+"/rooms/{room}/redact/{event}/{txn}", s.auth(s.redact))
	m.HandleFunc("PUT "+p+"/rooms/{room}/typing/{user}", s.auth(s.typingAPI))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		matrixError(w, 404, "M_UNRECOGNIZED", "Unrecognized request")
	})
}

// auth answers 401 as homeservers do unless the request carries a known access token.
func (s *Server) auth(h func(w http.ResponseWriter, r *http.Request, user string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" && r.URL.Query().Get("access_token") == "" {
			matrixError(w, 401, "M_MISSING_TOKEN", "Missing access token")
			return
		}
		user, ok := s.userOf(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="matrix", error="invalid_token"`)
			matrixError(w, 401, "M_UNKNOWN_TOKEN", "Unknown access token")
			return
		}
		h(w, r, user)
	}
}

// syncRoom is one joined room in a sync response.
type syncRoom struct {
	Timeline    timeline   `json:"timeline"`
	State       eventsList `json:"state"`
	Ephemeral   eventsList `json:"ephemeral"`
	AccountData eventsList `json:"account_data"`
}

type timeline struct {
	Events    []*Event `json:"events"`
	Limited   bool     `json:"limited"`
	PrevBatch string   `json:"prev_batch"`
}

type eventsList struct {
	Events []any `json:"events"`
}

// initialTimeline is how many events an initial sync returns per room (homeservers default to 10
// or 20 without a filter).
const initialTimeline = 10

func (s *Server) sync(w http.ResponseWriter, r *http.Request, user string) {
	q := r.URL.Query()
	var since int64
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseInt(strings.TrimPrefix(v, "s"), 10, 64)
		if err != nil || !strings.HasPrefix(v, "s") {
			matrixError(w, 400, "M_INVALID_PARAM", "Invalid since token")
			return
		}
		since = n
	}
	timeout := 0
	if v := q.Get("timeout"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			matrixError(w, 400, "M_INVALID_PARAM", "timeout must be a non-negative integer")
			return
		}
		timeout = n
	}
	s.mu.Lock()
	s.syncs++
	s.mu.Unlock()
	if s.failed(w, "sync") {
		return
	}
	deadline := time.NewTimer(time.Duration(timeout) * time.Millisecond)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		resp, news := s.syncResponse(user, since, q.Get("since") == "")
		wait := s.changed
		s.mu.Unlock()
		if news || timeout == 0 {
			writeJSON(w, 200, resp)
			return
		}
		select {
		case <-wait:
		case <-deadline.C:
			timeout = 0
		case <-r.Context().Done():
			return
		}
	}
}

// syncResponse is what user sees after stream position since. Callers hold s.mu.
func (s *Server) syncResponse(user string, since int64, initial bool) (map[string]any, bool) {
	join, invite := map[string]*syncRoom{}, map[string]any{}
	for id, r := range s.rooms {
		switch r.members[user] {
		case "join":
			joinedAt := int64(0)
			var tl []*Event
			for _, e := range r.events {
				if e.Type == "m.room.member" && e.StateKey != nil && *e.StateKey == user && e.Content["membership"] == "join" {
					joinedAt = e.pos
				}
			}
			for _, e := range r.events {
				if e.pos > since && e.pos >= joinedAt {
					tl = append(tl, s.clientEvent(e, user))
				}
			}
			if len(tl) == 0 {
				continue
			}
			sr := &syncRoom{}
			if initial && len(tl) > initialTimeline {
				tl, sr.Timeline.Limited = tl[len(tl)-initialTimeline:], true
			}
			sr.Timeline.Events, sr.Timeline.PrevBatch = tl, "t"+strconv.FormatInt(tl[0].pos-1, 10)
			if initial || joinedAt > since {
				sr.State.Events = s.stateBefore(r, tl[0].pos, user)
			}
			join[id] = sr
		case "invite":
			ev := r.invites[user]
			if ev == nil || ev.pos <= since {
				continue
			}
			var stripped []any
			for _, e := range s.currentState(r) {
				if e.Type == "m.room.create" || e.Type == "m.room.name" || e.Type == "m.room.join_rules" || e == ev {
					stripped = append(stripped, map[string]any{"type": e.Type, "state_key": *e.StateKey, "sender": e.Sender, "content": e.Content})
				}
			}
			invite[id] = map[string]any{"invite_state": map[string]any{"events": stripped}}
		}
	}
	var acc []any
	for typ, pos := range s.accPos[user] {
		if pos > since {
			acc = append(acc, map[string]any{"type": typ, "content": s.account[user][typ]})
		}
	}
	news := len(join) > 0 || len(invite) > 0 || len(acc) > 0
	rooms := map[string]any{"join": join, "invite": invite, "leave": map[string]any{}}
	return map[string]any{"next_batch": "s" + strconv.FormatInt(s.pos, 10), "rooms": rooms,
		"account_data": map[string]any{"events": nonNil(acc)}, "presence": map[string]any{"events": []any{}}}, news
}

func nonNil(a []any) []any {
	if a == nil {
		return []any{}
	}
	return a
}

// clientEvent is e as the sync API shows it to user: without room_id, with the transaction id
// to its sender.
func (s *Server) clientEvent(e *Event, user string) *Event {
	c := *e
	c.RoomID = ""
	c.Unsigned = map[string]any{"age": s.Now().UnixMilli() - e.OriginServerTS}
	if e.txn != "" && e.Sender == user {
		c.Unsigned["transaction_id"] = e.txn
	}
	return &c
}

// currentState is r's latest state event per (type, state key).
func (s *Server) currentState(r *room) []*Event {
	return s.stateAt(r, 1<<62)
}

func (s *Server) stateAt(r *room, before int64) []*Event {
	latest := map[string]*Event{}
	var order []string
	for _, e := range r.events {
		if e.StateKey == nil || e.pos >= before {
			continue
		}
		k := e.Type + "\x00" + *e.StateKey
		if _, ok := latest[k]; !ok {
			order = append(order, k)
		}
		latest[k] = e
	}
	out := make([]*Event, 0, len(order))
	for _, k := range order {
		out = append(out, latest[k])
	}
	return out
}

func (s *Server) stateBefore(r *room, pos int64, user string) []any {
	var out []any
	for _, e := range s.stateAt(r, pos) {
		out = append(out, s.clientEvent(e, user))
	}
	return nonNil(out)
}

func (s *Server) send(w http.ResponseWriter, r *http.Request, user string) {
	raw, content, ok := readObject(w, r)
	if !ok {
		return
	}
	if len(raw) > maxEventBytes {
		matrixError(w, 413, "M_TOO_LARGE", "event too large")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rm := s.rooms[r.PathValue("room")]
	if rm == nil || rm.members[user] != "join" {
		matrixError(w, 403, "M_FORBIDDEN", "User "+user+" not in room "+r.PathValue("room"))
		return
	}
	key := user + "\x00" + r.PathValue("txn")
	if id, dup := rm.txns[key]; dup {
		writeJSON(w, 200, map[string]string{"event_id": id})
		return
	}
	e := s.appendEvent(rm, &Event{Type: r.PathValue("type"), Sender: user, Content: content, txn: r.PathValue("txn")})
	rm.txns[key] = e.EventID
	writeJSON(w, 200, map[string]string{"event_id": e.EventID})
}

func (s *Server) join(w http.ResponseWriter, r *http.Request, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rm := s.rooms[r.PathValue("room")]
	if rm == nil {
		matrixError(w, 404, "M_NOT_FOUND", "No known servers")
		return
	}
	switch rm.members[user] {
	case "join":
	case "invite":
		rm.members[user] = "join"
		s.appendEvent(rm, member(user, user, "join", false))
	default:
		matrixError(w, 403, "M_FORBIDDEN", "You are not invited to this room.")
		return
	}
	writeJSON(w, 200, map[string]string{"room_id": rm.id})
}

func (s *Server) invite(w http.ResponseWriter, r *http.Request, user string) {
	_, body, ok := readObject(w, r)
	if !ok {
		return
	}
	target, _ := body["user_id"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	rm := s.rooms[r.PathValue("room")]
	if rm == nil || rm.members[user] != "join" {
		matrixError(w, 403, "M_FORBIDDEN", "You are not in this room.")
		return
	}
	rm.members[target] = "invite"
	rm.invites[target] = s.appendEvent(rm, member(user, target, "invite", false))
	writeJSON(w, 200, map[string]any{})
}

func (s *Server) createRoomAPI(w http.ResponseWriter, r *http.Request, user string) {
	var body struct {
		Name     string   `json:"name"`
		Invite   []string `json:"invite"`
		IsDirect bool     `json:"is_direct"`
		Preset   string   `json:"preset"`
	}
	raw, _, ok := readObject(w, r)
	if !ok {
		return
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		matrixError(w, 400, "M_BAD_JSON", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rm := s.createRoom(user, body.Name, body.Invite, body.IsDirect)
	writeJSON(w, 200, map[string]string{"room_id": rm.id})
}

func (s *Server) getAccountData(w http.ResponseWriter, r *http.Request, user string) {
	if r.PathValue("user") != user {
		matrixError(w, 403, "M_FORBIDDEN", "Cannot get account data for other users.")
		return
	}
	s.mu.Lock()
	c, ok := s.account[user][r.PathValue("type")]
	s.mu.Unlock()
	if !ok {
		matrixError(w, 404, "M_NOT_FOUND", "Account data not found")
		return
	}
	writeJSON(w, 200, c)
}

func (s *Server) putAccountData(w http.ResponseWriter, r *http.Request, user string) {
	if r.PathValue("user") != user {
		matrixError(w, 403, "M_FORBIDDEN", "Cannot add account data for other users.")
		return
	}
	_, content, ok := readObject(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.account[user] == nil {
		s.account[user], s.accPos[user] = map[string]any{}, map[string]int64{}
	}
	s.pos++
	s.account[user][r.PathValue("type")], s.accPos[user][r.PathValue("type")] = content, s.pos
	s.wake()
	writeJSON(w, 200, map[string]any{})
}

func (s *Server) redact(w http.ResponseWriter, r *http.Request, user string) {
	_, body, ok := readObject(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rm := s.rooms[r.PathValue("room")]
	if rm == nil || rm.members[user] != "join" {
		matrixError(w, 403, "M_FORBIDDEN", "You are not in this room.")
		return
	}
	target := r.PathValue("event")
	for _, e := range rm.events {
		if e.EventID == target {
			if e.Sender != user {
				matrixError(w, 403, "M_FORBIDDEN", "You cannot redact other users' events.")
				return
			}
			e.Content = map[string]any{}
			content := map[string]any{"redacts": target}
			if reason, ok := body["reason"]; ok {
				content["reason"] = reason
			}
			red := s.appendEvent(rm, &Event{Type: "m.room.redaction", Sender: user, Content: content})
			writeJSON(w, 200, map[string]string{"event_id": red.EventID})
			return
		}
	}
	matrixError(w, 404, "M_NOT_FOUND", "Event not found.")
}

func (s *Server) typingAPI(w http.ResponseWriter, r *http.Request, user string) {
	if r.PathValue("user") != user {
		matrixError(w, 403, "M_FORBIDDEN", "Cannot set another user's typing state.")
		return
	}
	_, body, ok := readObject(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	s.typing = append(s.typing, r.PathValue("room")+" "+user+" "+strconv.FormatBool(body["typing"] == true))
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{})
}

// readObject reads a JSON object body, answering M_NOT_JSON as homeservers do when it is not one.
func readObject(w http.ResponseWriter, r *http.Request) ([]byte, map[string]any, bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var obj map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &obj)
	}
	if err != nil || obj == nil {
		matrixError(w, 400, "M_NOT_JSON", "Content not JSON.")
		return nil, nil, false
	}
	return raw, obj, true
}

func matrixError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"errcode": code, "error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
