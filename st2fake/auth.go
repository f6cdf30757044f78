package st2fake

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// st2 formats expiry as ISO 8601 with microseconds and a Z.
const isoFormat = "2006-01-02T15:04:05.000000Z"

type userKey struct{}

// createToken is POST /auth/v1/tokens: Basic auth, optional {"ttl", "user", "impersonate_user", "nickname_origin"}.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	raw, _ := io.ReadAll(r.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			fault(w, http.StatusBadRequest, "Failed to parse request body")
			return
		}
	}
	s.record(r, "", "", body)
	name, pass, ok := r.BasicAuth()
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[name]
	if !ok || u == nil || u.Password != pass {
		fault(w, http.StatusUnauthorized, "Invalid or missing credentials")
		return
	}
	ttl := s.MaxTTL
	if v, ok := body["ttl"].(float64); ok && v > 0 {
		ttl = time.Duration(v) * time.Second
		if ttl > s.MaxTTL {
			fault(w, http.StatusBadRequest, fmt.Sprintf("TTL specified %d is greater than max allowed %d.", int(v), int(s.MaxTTL/time.Second)))
			return
		}
	}
	user := name
	if imp, ok := body["user"].(string); ok && imp != "" {
		if !u.Service {
			fault(w, http.StatusBadRequest, "Current user is not a service and cannot request impersonated tokens")
			return
		}
		if s.users[imp] == nil {
			fault(w, http.StatusBadRequest, "Could not locate user "+imp)
			return
		}
		user = imp
	} else if nick, ok := body["impersonate_user"].(string); ok && nick != "" {
		origin, _ := body["nickname_origin"].(string)
		if !u.Service {
			fault(w, http.StatusBadRequest, "Current user is not a service and cannot request impersonated tokens")
			return
		}
		if origin == "" {
			fault(w, http.StatusBadRequest, fmt.Sprintf("Nickname origin is not provided for nickname '%s'", nick))
			return
		}
		var found []string
		for n, cand := range s.users {
			if cand.Nicknames[origin] == nick {
				found = append(found, n)
			}
		}
		switch len(found) {
		case 0:
			fault(w, http.StatusBadRequest, fmt.Sprintf("Could not locate user %s@%s", nick, origin))
			return
		case 1:
			user = found[0]
		default:
			fault(w, http.StatusBadRequest, fmt.Sprintf("%s@%s matched more than one username", nick, origin))
			return
		}
	}
	is := s.issue(user, ttl)
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": is.t.ID, "user": user, "token": is.token, "expiry": is.t.Expiry.Format(isoFormat), "metadata": map[string]any{},
	})
}

// validateToken is POST /auth/v1/tokens/validate {"token"} -> {"valid": bool}.
func (s *Server) validateToken(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fault(w, http.StatusBadRequest, "Failed to parse request body")
		return
	}
	s.record(r, "", "", body)
	v, _ := body["token"].(string)
	s.mu.Lock()
	t := s.tokens[v]
	valid := t != nil && s.Now().Before(t.Expiry)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"valid": valid})
}

// authed checks X-Auth-Token / St2-Api-Key (headers, or the x-auth-token / st2-api-key query
// parameters) the way st2's router does, answering 401 "Unauthorized - ..." otherwise.
func (s *Server) authed(h func(w http.ResponseWriter, r *http.Request, user string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Auth-Token")
		if tok == "" {
			tok = r.URL.Query().Get("x-auth-token")
		}
		key := r.Header.Get("St2-Api-Key")
		if key == "" {
			key = r.URL.Query().Get("st2-api-key")
		}
		var body map[string]any
		if r.Method == http.MethodPost {
			raw, _ := io.ReadAll(r.Body)
			if len(raw) > 0 && json.Unmarshal(raw, &body) != nil {
				fault(w, http.StatusBadRequest, "Failed to parse request body")
				return
			}
		}
		s.mu.Lock()
		var user, kind, msg string
		switch {
		case tok != "" && key != "":
			msg = "Only one of Token or API key expected."
		case tok != "":
			kind = "token"
			if t := s.tokens[tok]; t == nil {
				msg = fmt.Sprintf("Token with value \"%s\" is not found.", tok)
			} else if !s.Now().Before(t.Expiry) {
				msg = "Token has expired."
			} else {
				user = t.User
			}
		case key != "":
			kind = "api_key"
			if user = s.apiKeys[key]; user == "" {
				msg = "API key with key_hash=\"...\" is not found."
			}
		default:
			msg = "One of Token or API key required."
		}
		s.mu.Unlock()
		s.record(r, user, kind, body)
		if msg != "" {
			fault(w, http.StatusUnauthorized, "Unauthorized - "+msg)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), userKey{}, body)), user)
	}
}

// bodyOf returns the JSON body authed already read.
func bodyOf(r *http.Request) map[string]any {
	b, _ := r.Context().Value(userKey{}).(map[string]any)
	return b
}

func (s *Server) record(r *http.Request, user, kind string, body map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, User: user, AuthKind: kind, Body: body, Header: r.Header.Clone()})
}
