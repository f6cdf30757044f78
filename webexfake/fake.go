// Package webexfake is a stand-in for Webex's REST API (https://webexapis.com/v1) for tests: a
// real HTTP server that checks the bot's bearer token, answers the documented JSON shapes with
// opaque base64 ids, records what the bot posts, fires signed webhooks at registered target URLs,
// and can be told to answer 429 with Retry-After.
package webexfake

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Token is the bot access token the stand-in accepts unless Server.Token is changed.
const Token = "webexfake-bot-token"

// Server is a running stand-in. Its methods are safe for concurrent use.
type Server struct {
	// URL is the API base, as configured in webex.api_url: "http://127.0.0.1:port/v1".
	URL   string
	Bot   Person
	OrgID string

	srv *httptest.Server

	mu       sync.Mutex
	token    string
	pageSize int
	people   map[string]Person
	rooms    map[string]string // id -> "direct" or "group"
	titles   map[string]string // room id -> title (group spaces given one)
	direct   map[string]string // person id -> direct room id with the bot
	messages map[string]*Message
	actions  map[string]*Action
	webhooks []*Webhook
	posted   []Message
	deleted  []string
	calls    map[string]int
	limits   map[string][]int // route -> Retry-After seconds of the 429s still to answer
	fails    map[string][]int // route -> statuses still to answer (5xx outages)
	client   *http.Client
}

// New starts a stand-in with one bot ("opsgate bot") and stops it when the test ends.
func New(t testing.TB) *Server {
	s := &Server{
		OrgID: NewID("ORGANIZATION"), token: Token, pageSize: 100,
		people: map[string]Person{}, rooms: map[string]string{}, titles: map[string]string{}, direct: map[string]string{},
		messages: map[string]*Message{}, actions: map[string]*Action{}, calls: map[string]int{}, limits: map[string][]int{}, fails: map[string][]int{},
		client: &http.Client{Timeout: 10 * time.Second},
	}
	s.Bot = Person{ID: NewID("PEOPLE"), Emails: []string{"opsgate@webex.bot"}, DisplayName: "opsgate bot", NickName: "opsgate",
		FirstName: "opsgate", LastName: "bot", OrgID: s.OrgID, Created: now(), Type: "bot"}
	s.people[s.Bot.ID] = s.Bot
	mux := http.NewServeMux()
	s.routes(mux)
	s.srv = httptest.NewServer(s.middleware(mux))
	s.URL = s.srv.URL + "/v1"
	t.Cleanup(s.srv.Close)
	return s
}

// NewID returns an opaque id shaped like Webex's: base64 of "ciscospark://us/KIND/uuid".
func NewID(kind string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("ciscospark://us/" + kind + "/" + uuid()))
}

func uuid() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// uuidOf returns the uuid inside an id, as Webex writes it in a spark-mention's data-object-id.
func uuidOf(id string) string {
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return id
	}
	s := string(b)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

// SetToken changes the bearer token the stand-in accepts (a regenerated bot token).
func (s *Server) SetToken(tok string) { s.mu.Lock(); s.token = tok; s.mu.Unlock() }

// SetPageSize sets how many webhooks one GET /webhooks page holds (default 100, Webex's max).
func (s *Server) SetPageSize(n int) { s.mu.Lock(); s.pageSize = n; s.mu.Unlock() }

// RateLimit makes the next len(retryAfter) requests to route (a pattern such as "POST /v1/messages"
// or "GET /v1/people/me") answer 429 with those Retry-After seconds.
func (s *Server) RateLimit(route string, retryAfter ...int) {
	s.mu.Lock()
	s.limits[route] = append(s.limits[route], retryAfter...)
	s.mu.Unlock()
}

// Fail makes the next len(statuses) requests to route answer those statuses (e.g. 503).
func (s *Server) Fail(route string, statuses ...int) {
	s.mu.Lock()
	s.fails[route] = append(s.fails[route], statuses...)
	s.mu.Unlock()
}

// Calls returns how many requests route received (authorised or not, 429 included).
func (s *Server) Calls(route string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls[route] }

// Posted returns the messages the bot created, oldest first.
func (s *Server) Posted() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.posted...)
}

// Deleted returns the ids of the messages the bot deleted.
func (s *Server) Deleted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.deleted...)
}

// Webhooks returns copies of the registered webhooks.
func (s *Server) Webhooks() []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Webhook, len(s.webhooks))
	for i, w := range s.webhooks {
		out[i] = *w
	}
	return out
}

// AddWebhook registers w as if created earlier (by an admin, or a previous run); it returns the id.
func (s *Server) AddWebhook(w Webhook) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.ID, w.Created, w.OrgID, w.CreatedBy, w.OwnedBy = NewID("WEBHOOK"), now(), s.OrgID, s.Bot.ID, "creator"
	if w.Status == "" {
		w.Status = "active"
	}
	s.webhooks = append(s.webhooks, &w)
	return w.ID
}

func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, route := s.mux(next).Handler(r)
		s.mu.Lock()
		s.calls[route]++
		tok := s.token
		var wait int
		limited := len(s.limits[route]) > 0
		if limited {
			wait, s.limits[route] = s.limits[route][0], s.limits[route][1:]
		}
		fail := 0
		if len(s.fails[route]) > 0 {
			fail, s.fails[route] = s.fails[route][0], s.fails[route][1:]
		}
		s.mu.Unlock()
		const prefix = "Bearer "
		auth := r.Header.Get("Authorization")
		if len(auth) <= len(prefix) || auth[:len(prefix)] != prefix ||
			subtle.ConstantTimeCompare([]byte(auth[len(prefix):]), []byte(tok)) != 1 {
			writeError(w, http.StatusUnauthorized, "The request requires a valid access token set in the Authorization request header.")
			return
		}
		if limited {
			w.Header().Set("Retry-After", strconv.Itoa(wait))
			writeError(w, http.StatusTooManyRequests, "Too many requests have been sent in a given amount of time.")
			return
		}
		if fail != 0 {
			writeError(w, fail, http.StatusText(fail))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) mux(h http.Handler) *http.ServeMux { return h.(*http.ServeMux) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Trackingid", "ROUTER_"+uuid())
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Message: msg, Errors: []errorDetail{{Description: msg}}, TrackingID: "ROUTER_" + uuid()})
}

func errorf(w http.ResponseWriter, status int, format string, args ...any) {
	writeError(w, status, fmt.Sprintf(format, args...))
}
