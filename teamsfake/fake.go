// Package teamsfake is a stand-in for Microsoft's Bot Framework, for tests: a real HTTP server
// serving the OpenID metadata and the signing keys (with endorsements), Entra's client-credentials
// token endpoint and the Bot Connector (it records posted activities and creates conversations).
// It signs real RS256 activity tokens, and can forge each kind of bad one.
package teamsfake

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// Issuer is the Bot Framework token issuer.
const Issuer = "https://api.botframework.com"

// Posted is an activity a bot sent to the connector.
type Posted struct {
	ConversationID string
	Activity       map[string]any
	Raw            []byte
}

// Server is the fake Bot Framework.
type Server struct {
	*httptest.Server
	AppID       string
	AppPassword string
	// TenantID is the bot's tenant; "" accepts the legacy botframework.com tenant in the token URL.
	TenantID string
	// Now is the fake's clock (issued tokens, activity tokens); default time.Now.
	Now func() time.Time
	// TokenTTL is the access token's expires_in (Entra: 3599 s).
	TokenTTL time.Duration

	mu            sync.Mutex
	keys          []*signingKey // published in the JWKS; the last one signs
	algs          []string
	issued        map[string]time.Time
	posted        []Posted
	updated       []Posted
	deleted       []string // conversation id + "/" + activity id
	conversations []map[string]any
	members       map[string][]Member // conversation id -> members added beyond Alice
	jwksFetches   int
	tokenRequests int
	throttle      int
	retryAfter    string
	nextID        int
}

type signingKey struct {
	kid          string
	priv         *rsa.PrivateKey
	endorsements []string // nil: the key lists none
}

// New starts a fake on 127.0.0.1 (port 0) for the bot appID with password. Close it with Close.
func New(appID, password, tenant string) *Server {
	s := &Server{AppID: appID, AppPassword: password, TenantID: tenant, Now: time.Now, TokenTTL: 3599 * time.Second,
		issued: map[string]time.Time{}, algs: []string{"RS256"}}
	s.keys = []*signingKey{newKey("key-1", []string{"msteams", "skype", "webchat"})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/.well-known/openidconfiguration", s.metadata)
	mux.HandleFunc("GET /v1/.well-known/keys", s.jwks)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.token)
	mux.HandleFunc("POST /amer/v3/conversations/{id}/activities", s.connector(s.postActivity))
	mux.HandleFunc("POST /amer/v3/conversations", s.connector(s.createConversation))
	mux.HandleFunc("PUT /amer/v3/conversations/{id}/activities/{activityId}", s.connector(s.updateActivity))
	mux.HandleFunc("DELETE /amer/v3/conversations/{id}/activities/{activityId}", s.connector(s.deleteActivity))
	mux.HandleFunc("GET /amer/v3/conversations/{id}/members", s.connector(s.listMembers))
	s.Server = httptest.NewServer(mux)
	return s
}

func newKey(kid string, endorsements []string) *signingKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return &signingKey{kid: kid, priv: k, endorsements: endorsements}
}

// OpenIDURL, TokenURL and ServiceURL are what a bot's configuration and activities name.
func (s *Server) OpenIDURL() string { return s.URL + "/v1/.well-known/openidconfiguration" }
func (s *Server) TokenURL() string {
	t := s.TenantID
	if t == "" {
		t = "botframework.com"
	}
	return s.URL + "/" + t + "/oauth2/v2.0/token"
}
func (s *Server) ServiceURL() string { return s.URL + "/amer/" }

// RotateKey publishes a new signing key (a new kid) beside the old ones and signs with it.
func (s *Server) RotateKey() {
	k := newKey("key-"+strconv.Itoa(len(s.keys)+1), []string{"msteams", "skype", "webchat"})
	s.mu.Lock()
	s.keys = append(s.keys, k)
	s.mu.Unlock()
}

// SetEndorsements replaces the signing key's endorsements (nil: the key lists none).
func (s *Server) SetEndorsements(e []string) {
	s.mu.Lock()
	s.keys[len(s.keys)-1].endorsements = e
	s.mu.Unlock()
}

// SetAlgorithms sets id_token_signing_alg_values_supported of the metadata (default RS256).
func (s *Server) SetAlgorithms(algs ...string) {
	s.mu.Lock()
	s.algs = algs
	s.mu.Unlock()
}

// Throttle makes the next n connector calls answer 429 with Retry-After: retryAfter.
func (s *Server) Throttle(n int, retryAfter string) {
	s.mu.Lock()
	s.throttle, s.retryAfter = n, retryAfter
	s.mu.Unlock()
}

// JWKSFetches and TokenRequests count the requests to the key set and to the token endpoint.
func (s *Server) JWKSFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jwksFetches
}

func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

// Posted returns the activities posted so far.
func (s *Server) Posted() []Posted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Posted(nil), s.posted...)
}

// Updated returns the activities replaced so far (PUT), the activity id in Activity["id"].
func (s *Server) Updated() []Posted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Posted(nil), s.updated...)
}

// Deleted returns the activities deleted so far, as "conversation id/activity id".
func (s *Server) Deleted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.deleted...)
}

// Conversations returns the bodies of the conversations created so far.
func (s *Server) Conversations() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.conversations...)
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	algs := s.algs
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                Issuer,
		"authorization_endpoint":                "https://invalid.botframework.com",
		"jwks_uri":                              s.URL + "/v1/.well-known/keys",
		"id_token_signing_alg_values_supported": algs,
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
	})
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.jwksFetches++
	var keys []map[string]any
	for _, k := range s.keys {
		j := map[string]any{
			"kty": "RSA", "use": "sig", "kid": k.kid, "x5t": k.kid,
			"n": base64.RawURLEncoding.EncodeToString(k.priv.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.priv.E)).Bytes()),
		}
		if k.endorsements != nil {
			j["endorsements"] = k.endorsements
		}
		keys = append(keys, j)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

// aadError answers as Entra does: {"error", "error_description" with an AADSTS code, "error_codes"}.
func aadError(w http.ResponseWriter, status int, code string, sts int, desc string) {
	writeJSON(w, status, map[string]any{"error": code,
		"error_description": fmt.Sprintf("AADSTS%d: %s", sts, desc), "error_codes": []int{sts}})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokenRequests++
	s.mu.Unlock()
	want := s.TenantID
	if want == "" {
		want = "botframework.com"
	}
	if r.PathValue("tenant") != want {
		aadError(w, http.StatusBadRequest, "invalid_request", 90002, "Tenant '"+r.PathValue("tenant")+"' not found.")
		return
	}
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	if err := r.ParseForm(); err != nil {
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body is not valid.")
		return
	}
	f := r.PostForm
	switch {
	case f.Get("grant_type") != "client_credentials":
		aadError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
	case f.Get("client_id") != s.AppID:
		aadError(w, http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier was not found in the directory.")
	case subtle.ConstantTimeCompare([]byte(f.Get("client_secret")), []byte(s.AppPassword)) != 1:
		aadError(w, http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided.")
	case f.Get("scope") != "https://api.botframework.com/.default":
		aadError(w, http.StatusBadRequest, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid.")
	default:
		b := make([]byte, 24)
		rand.Read(b)
		tok := "eyJ0eXAiOiJKV1Qi." + base64.RawURLEncoding.EncodeToString(b)
		s.mu.Lock()
		s.issued[tok] = s.Now().Add(s.TokenTTL)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": int(s.TokenTTL / time.Second),
			"ext_expires_in": int(s.TokenTTL / time.Second), "access_token": tok})
	}
}

func connectorError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// connector checks the bearer token and the throttle, then reads the JSON body (at most ~100 KB).
func (s *Server) connector(h func(w http.ResponseWriter, r *http.Request, body []byte, v map[string]any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		s.mu.Lock()
		exp, issued := s.issued[tok]
		valid := ok && issued && s.Now().Before(exp)
		throttled := valid && s.throttle > 0
		if throttled {
			s.throttle--
		}
		ra := s.retryAfter
		s.mu.Unlock()
		if !valid {
			w.Header().Set("WWW-Authenticate", "Bearer")
			connectorError(w, http.StatusUnauthorized, "Unauthorized", "Authorization has been denied for this request.")
			return
		}
		if throttled {
			w.Header().Set("Retry-After", ra)
			connectorError(w, http.StatusTooManyRequests, "TooManyRequests", "Too many requests.")
			return
		}
		if r.Method == http.MethodDelete || r.Method == http.MethodGet {
			h(w, r, nil, nil)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 100<<10+1))
		if err != nil {
			connectorError(w, http.StatusBadRequest, "BadSyntax", "Cannot read the body.")
			return
		}
		if len(body) > 100<<10 {
			connectorError(w, http.StatusRequestEntityTooLarge, "MessageSizeTooBig", "Activity body too large.")
			return
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			connectorError(w, http.StatusBadRequest, "BadSyntax", "Invalid JSON.")
			return
		}
		h(w, r, body, v)
	}
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 8 || h[:7] != "Bearer " {
		return "", false
	}
	return h[7:], true
}

func (s *Server) postActivity(w http.ResponseWriter, r *http.Request, body []byte, v map[string]any) {
	if v["type"] == nil {
		connectorError(w, http.StatusBadRequest, "MissingProperty", "Activity has no type.")
		return
	}
	s.mu.Lock()
	s.nextID++
	id := strconv.Itoa(1700000000000 + s.nextID)
	s.posted = append(s.posted, Posted{ConversationID: r.PathValue("id"), Activity: v, Raw: body})
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

// postedHere reports whether the bot posted activityID in conversation id.
func (s *Server) postedHere(id, activityID string) bool {
	for i, p := range s.posted {
		if p.ConversationID == id && strconv.Itoa(1700000000001+i) == activityID {
			return true
		}
	}
	return false
}

// own answers 404 unless the request names an activity the bot posted; s.mu is held.
func (s *Server) own(w http.ResponseWriter, r *http.Request) bool {
	if s.postedHere(r.PathValue("id"), r.PathValue("activityId")) {
		return true
	}
	connectorError(w, http.StatusNotFound, "ActivityNotFoundInConversation", "Activity not found.")
	return false
}

func (s *Server) updateActivity(w http.ResponseWriter, r *http.Request, body []byte, v map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.own(w, r) {
		return
	}
	v["id"] = r.PathValue("activityId")
	s.updated = append(s.updated, Posted{ConversationID: r.PathValue("id"), Activity: v, Raw: body})
	writeJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("activityId")})
}

func (s *Server) deleteActivity(w http.ResponseWriter, r *http.Request, _ []byte, _ map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.own(w, r) {
		return
	}
	s.deleted = append(s.deleted, r.PathValue("id")+"/"+r.PathValue("activityId"))
	w.WriteHeader(http.StatusOK)
}

func (s *Server) createConversation(w http.ResponseWriter, r *http.Request, body []byte, v map[string]any) {
	members, _ := v["members"].([]any)
	if len(members) == 0 {
		connectorError(w, http.StatusBadRequest, "BadArgument", "Conversation needs members.")
		return
	}
	s.mu.Lock()
	s.conversations = append(s.conversations, v)
	id := fmt.Sprintf("a:1personal%d", len(s.conversations))
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// IDOf returns the activity id the connector gave p.
func (s *Server) IDOf(p Posted) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, q := range s.posted {
		if string(q.Raw) == string(p.Raw) && q.ConversationID == p.ConversationID {
			return strconv.Itoa(1700000000001 + i)
		}
	}
	return ""
}
