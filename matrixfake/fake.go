// Package matrixfake is a Matrix homeserver for tests: a real HTTP server speaking the
// Client-Server API (v1.x, the /_matrix/client/v3 paths) for the endpoints opsgate uses — sync
// with since/timeout long-polls, send, join, createRoom, whoami, account data (m.direct),
// redact and typing — with users, rooms, memberships and one ordered event stream, as a
// homeserver keeps them. It has no federation, no end-to-end encryption and no history paging.
package matrixfake

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Event is a room event as the Client-Server API serves it.
type Event struct {
	Type           string         `json:"type"`
	StateKey       *string        `json:"state_key,omitempty"`
	Sender         string         `json:"sender"`
	EventID        string         `json:"event_id"`
	RoomID         string         `json:"room_id,omitempty"`
	OriginServerTS int64          `json:"origin_server_ts"`
	Content        map[string]any `json:"content"`
	Unsigned       map[string]any `json:"unsigned,omitempty"`

	pos int64 // position in the server's stream
	txn string
}

// Server is a fake homeserver. Create it with New; it stops with Close.
type Server struct {
	*httptest.Server
	// Name is the server name in user and room ids ("example.org").
	Name string
	// Now is the server's clock for origin_server_ts.
	Now func() time.Time

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever the stream grows
	pos     int64
	tokens  map[string]string         // access token -> user id
	rooms   map[string]*room          // room id -> room
	account map[string]map[string]any // user -> type -> content
	accPos  map[string]map[string]int64
	typing  []string
	fail    map[string][]int // endpoint ("sync", "whoami") -> statuses its next requests fail with
	syncs   int
}

type room struct {
	id      string
	members map[string]string // user -> membership ("invite", "join", "leave")
	events  []*Event
	invites map[string]*Event // user -> their invite's member event
	direct  bool
	txns    map[string]string // sender+txn -> event id
}

// New starts a homeserver named name.
func New(name string) *Server {
	s := &Server{Name: name, Now: time.Now, changed: make(chan struct{}), tokens: map[string]string{},
		rooms: map[string]*room{}, fail: map[string][]int{}, account: map[string]map[string]any{}, accPos: map[string]map[string]int64{}}
	mux := http.NewServeMux()
	s.routes(mux)
	s.Server = httptest.NewServer(mux)
	return s
}

// AddUser registers localpart with an access token and returns the user id.
func (s *Server) AddUser(localpart, token string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := "@" + localpart + ":" + s.Name
	s.tokens[token] = id
	return id
}

// Fail makes the next requests to endpoint ("sync" or "whoami") fail, one with each status (429
// answers M_LIMIT_EXCEEDED with retry_after_ms 20, others M_UNKNOWN).
func (s *Server) Fail(endpoint string, statuses ...int) {
	s.mu.Lock()
	s.fail[endpoint] = append(s.fail[endpoint], statuses...)
	s.mu.Unlock()
}

// failed answers r with the failure queued for endpoint, if any.
func (s *Server) failed(w http.ResponseWriter, endpoint string) bool {
	s.mu.Lock()
	q := s.fail[endpoint]
	if len(q) == 0 {
		s.mu.Unlock()
		return false
	}
	status := q[0]
	s.fail[endpoint] = q[1:]
	s.mu.Unlock()
	if status == 429 {
		writeJSON(w, 429, map[string]any{"errcode": "M_LIMIT_EXCEEDED", "error": "Too many requests", "retry_after_ms": 20})
	} else {
		matrixError(w, status, "M_UNKNOWN", "Internal server error")
	}
	return true
}

// Syncs is how many /sync requests were answered.
func (s *Server) Syncs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.syncs
}

// Events returns a copy of room's timeline.
func (s *Server) Events(roomID string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rooms[roomID]
	if r == nil {
		return nil
	}
	out := make([]Event, len(r.events))
	for i, e := range r.events {
		out[i] = *e
	}
	return out
}

// Membership is user's membership of room ("" when none).
func (s *Server) Membership(roomID, user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.rooms[roomID]; r != nil {
		return r.members[user]
	}
	return ""
}

// Rooms returns the ids of the rooms user has joined or is invited to.
func (s *Server) Rooms(user string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, r := range s.rooms {
		if m := r.members[user]; m == "join" || m == "invite" {
			ids = append(ids, id)
		}
	}
	return ids
}

// AccountData returns user's account data of type typ (nil when none).
func (s *Server) AccountData(user, typ string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.account[user][typ]
}

// Typing lists "room user typing" notices received.
func (s *Server) Typing() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.typing...)
}

// appendEvent adds e to r's timeline at the next stream position and wakes long-polls. Callers
// hold s.mu.
func (s *Server) appendEvent(r *room, e *Event) *Event {
	s.pos++
	e.pos = s.pos
	e.RoomID = r.id
	e.EventID = fmt.Sprintf("$ev%d:%s", s.pos, s.Name)
	e.OriginServerTS = s.Now().UnixMilli()
	r.events = append(r.events, e)
	s.wake()
	return e
}

func (s *Server) wake() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func stateKey(k string) *string { return &k }

// member is a membership event for user.
func member(sender, user, membership string, direct bool) *Event {
	c := map[string]any{"membership": membership}
	if direct {
		c["is_direct"] = true
	}
	return &Event{Type: "m.room.member", StateKey: stateKey(user), Sender: sender, Content: c}
}

// createRoom makes a room for creator with the invitees. Callers hold s.mu.
func (s *Server) createRoom(creator, name string, invite []string, direct bool) *room {
	r := &room{id: fmt.Sprintf("!r%d:%s", len(s.rooms)+1, s.Name), members: map[string]string{}, invites: map[string]*Event{},
		direct: direct, txns: map[string]string{}}
	s.rooms[r.id] = r
	s.appendEvent(r, &Event{Type: "m.room.create", StateKey: stateKey(""), Sender: creator, Content: map[string]any{"creator": creator, "room_version": "10"}})
	r.members[creator] = "join"
	s.appendEvent(r, member(creator, creator, "join", false))
	if name != "" {
		s.appendEvent(r, &Event{Type: "m.room.name", StateKey: stateKey(""), Sender: creator, Content: map[string]any{"name": name}})
	}
	for _, u := range invite {
		r.members[u] = "invite"
		r.invites[u] = s.appendEvent(r, member(creator, u, "invite", direct))
	}
	return r
}

// userOf is the user an Authorization header (or the deprecated access_token parameter) names.
func (s *Server) userOf(r *http.Request) (string, bool) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" || tok == r.Header.Get("Authorization") {
		tok = r.URL.Query().Get("access_token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.tokens[tok]
	return u, ok
}
