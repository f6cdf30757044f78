// Package st2fake is a local StackStorm for tests: st2auth, st2api and st2stream on one HTTP server,
// following st2's documented API (paths, status codes, headers, JSON shapes, {"faultstring": ...}
// errors, X-Total-Count paging, SSE framing and heartbeats, token expiry). It is a real HTTP
// server: code under test talks to it exactly as it would to st2.
package st2fake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// User is an st2 user known to the fake's auth backend.
type User struct {
	Password string
	// Service users may request tokens for other users.
	Service bool
	// Admin users may page through lists with limit > 100.
	Admin bool
	// Nicknames maps an origin ("slack") to this user's nickname there (impersonate_user lookups).
	Nicknames map[string]string
}

// Alias is an action alias as registered in st2.
type Alias struct {
	Pack, Name, Description, ActionRef string
	// Formats holds strings, or Format values for display/representation pairs.
	Formats []any
	// Ack and Result are the alias's ack/result sections ({"format": ..., "append_url": ..., "enabled": ...}).
	Ack, Result map[string]any
	Disabled    bool
}

// Format is a {display, representation} alias format.
type Format struct {
	Display        string   `json:"display,omitempty"`
	Representation []string `json:"representation,omitempty"`
}

// Call is one request the fake served, for assertions.
type Call struct {
	Method, Path string
	User         string // the st2 user it authenticated as ("" when unauthenticated)
	AuthKind     string // "token", "api_key" or ""
	Body         map[string]any
	Header       http.Header
}

// Server is the fake StackStorm.
type Server struct {
	*httptest.Server
	// Now is the fake's clock (token expiry); default time.Now.
	Now func() time.Time
	// MaxTTL is auth.token_ttl: the default and maximum token life (default 24 h).
	MaxTTL time.Duration
	// HeartbeatInterval is the stream's heartbeat period (st2: 25 s).
	HeartbeatInterval time.Duration
	// EventIDs makes the stream number events with "id:" lines and replay missed ones after
	// Last-Event-ID. Real st2 does neither; the option exists to test clients that support both.
	EventIDs bool
	// RenderAck makes match_and_execute render ack.format into "message" as st2 does (default
	// true); false mimics an st2 that returns no message.
	RenderAck bool
	// NotifyRoute mimics the chatops notify rule (trigger.route == NotifyRoute): after an alias
	// execution whose notification_route equals it, the result is announced on the stream as
	// chatops.post_result would. Empty: no rule, results never reach chat.
	NotifyRoute string
	// Run computes an action's result (default: {"stdout": "ok"}) for the result announcement.
	Run func(actionRef string, params map[string]any) any

	mu         sync.Mutex
	users      map[string]*User
	tokens     map[string]*token
	apiKeys    map[string]string // key -> user
	aliases    []*Alias
	actions    map[string]map[string]string // ref -> parameter name -> JSON schema type
	executions map[string]map[string]any
	streams    map[*streamConn]struct{}
	history    []event
	nextID     int
	calls      []Call
	paused     bool
}

type token struct {
	ID, User string
	Expiry   time.Time
}

// New starts a fake st2 on 127.0.0.1 (port 0). Close it with Close (tests: t.Cleanup(s.Close)).
func New() *Server {
	s := &Server{
		Now: time.Now, MaxTTL: 24 * time.Hour, HeartbeatInterval: 25 * time.Second, RenderAck: true,
		users: map[string]*User{}, tokens: map[string]*token{}, apiKeys: map[string]string{},
		executions: map[string]map[string]any{}, streams: map[*streamConn]struct{}{}, actions: map[string]map[string]string{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/v1/tokens", s.createToken)
	mux.HandleFunc("POST /auth/v1/tokens/validate", s.validateToken)
	mux.HandleFunc("GET /api/v1/actionalias", s.authed(s.listAliases))
	mux.HandleFunc("GET /api/v1/actionalias/help", s.authed(s.aliasHelp))
	mux.HandleFunc("POST /api/v1/actionalias/match", s.authed(s.matchAlias))
	mux.HandleFunc("POST /api/v1/aliasexecution/match_and_execute", s.authed(s.matchAndExecute))
	mux.HandleFunc("GET /api/v1/executions/{id}", s.authed(s.getExecution))
	mux.HandleFunc("POST /api/v1/executions", s.authed(s.createExecution))
	mux.HandleFunc("GET /api/v1/actions/{ref}", s.authed(s.getAction))
	mux.HandleFunc("GET /api/v1/user", s.authed(s.whoami))
	mux.HandleFunc("GET /api/v1/rules", s.authed(s.listRules))
	mux.HandleFunc("GET /stream/v1/stream", s.authed(s.stream))
	s.Server = httptest.NewServer(mux)
	return s
}

// AuthURL, APIURL and StreamURL are the base URLs as a bot's configuration names them.
func (s *Server) AuthURL() string   { return s.URL + "/auth/v1" }
func (s *Server) APIURL() string    { return s.URL + "/api/v1" }
func (s *Server) StreamURL() string { return s.URL + "/stream/v1" }

// Close stops the server, ending open streams first (httptest waits for handlers).
func (s *Server) Close() {
	s.DropStreams()
	s.Server.Close()
}

// AddUser registers an st2 user.
func (s *Server) AddUser(name string, u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[name] = &u
}

// AddAPIKey registers an API key for user.
func (s *Server) AddAPIKey(user, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKeys[key] = user
}

// IssueToken creates a token for user valid for ttl, as `st2 auth` would, and returns it.
func (s *Server) IssueToken(user string, ttl time.Duration) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issue(user, ttl).token
}

type issued struct {
	token string
	t     *token
}

func (s *Server) issue(user string, ttl time.Duration) issued {
	v := randHex(16)
	t := &token{ID: randHex(12), User: user, Expiry: s.Now().Add(ttl).UTC()}
	s.tokens[v] = t
	return issued{v, t}
}

// ExpireTokens makes every token issued so far expired, as if their TTL had passed.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		t.Expiry = s.Now().Add(-time.Second)
	}
}

// AddAlias registers an action alias.
// AddAction registers an action with its parameters' types (string, integer, number, boolean,
// array, object), checked when it is executed directly.
func (s *Server) AddAction(ref string, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.actions[ref] = params
}

func (s *Server) AddAlias(a Alias) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aliases = append(s.aliases, &a)
}

// Calls returns the requests served so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the requests served for path.
func (s *Server) CallsTo(path string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeJSON answers as st2's router does: JSON with a content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fault answers st2's error shape.
func fault(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"faultstring": msg})
}
