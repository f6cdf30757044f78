package vault

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeVault is an HTTP server speaking the documented Vault API for what the provider uses:
// KV v1 (GET /v1/<mount>/<path>), KV v2 (GET /v1/<mount>/data/<path>), AppRole login
// (POST /v1/auth/approle/login), token lookup-self and renew-self, X-Vault-Token,
// X-Vault-Namespace, and errors as {"errors":[...]}. Token expiry follows the test's clock.
type fakeVault struct {
	t         *testing.T
	srv       *httptest.Server
	now       func() time.Time
	namespace string // required X-Vault-Namespace ("" for none)
	roleID    string
	secretID  string
	ttl       time.Duration // of AppRole tokens

	mu     sync.Mutex
	tokens map[string]fakeToken
	kv1    map[string]map[string]any // "<mount>/<path>" -> data
	kv2    map[string]map[string]any
	calls  map[string]int // "login", "lookup", "renew", "read"
	serial int
}

type fakeToken struct {
	expires   time.Time // zero: never
	renewable bool
}

func newFakeVault(t *testing.T, now func() time.Time, tls bool) *fakeVault {
	f := &fakeVault{t: t, now: now, roleID: "role-1", secretID: "secret-id-1", ttl: time.Minute,
		tokens: map[string]fakeToken{}, kv1: map[string]map[string]any{}, kv2: map[string]map[string]any{}, calls: map[string]int{}}
	if tls {
		f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	} else {
		f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	}
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeVault) count(what string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[what]
}

func (f *fakeVault) addStaticToken(tok string, ttl time.Duration, renewable bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft := fakeToken{renewable: renewable}
	if ttl > 0 {
		ft.expires = f.now().Add(ttl)
	}
	f.tokens[tok] = ft
}

func (f *fakeVault) revokeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func vaultErrors(w http.ResponseWriter, status int, msgs ...string) {
	if msgs == nil {
		msgs = []string{}
	}
	writeJSON(w, status, map[string]any{"errors": msgs})
}

// envelope is Vault's response body around data or auth.
func envelope(data any, auth any, leaseDuration int) map[string]any {
	return map[string]any{"request_id": "5a8a4bc4-9a62-4f43-b0a5-28f2b1d2a7f1", "lease_id": "", "renewable": false,
		"lease_duration": leaseDuration, "data": data, "wrap_info": nil, "warnings": nil, "auth": auth, "mount_type": "kv"}
}

func (f *fakeVault) authBlock(tok string, ttl time.Duration, renewable bool) map[string]any {
	return map[string]any{"client_token": tok, "accessor": "acc-" + tok, "policies": []string{"default", "opsgate"},
		"token_policies": []string{"default", "opsgate"}, "metadata": map[string]string{"role_name": "opsgate"},
		"lease_duration": int(ttl / time.Second), "renewable": renewable, "entity_id": "", "token_type": "service", "orphan": true}
}

func (f *fakeVault) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("X-Vault-Namespace") != f.namespace {
		vaultErrors(w, http.StatusForbidden, "permission denied") // another namespace knows neither tokens nor paths
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v1/")
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if path == "auth/approle/login" {
			f.calls["login"]++
			var body struct {
				RoleID   string `json:"role_id"`
				SecretID string `json:"secret_id"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				vaultErrors(w, http.StatusBadRequest, "failed to parse JSON input")
				return
			}
			if body.RoleID != f.roleID || body.SecretID != f.secretID {
				vaultErrors(w, http.StatusBadRequest, "invalid role or secret ID")
				return
			}
			f.serial++
			tok := fmt.Sprintf("hvs.approle-%d", f.serial)
			f.tokens[tok] = fakeToken{expires: f.now().Add(f.ttl), renewable: true}
			writeJSON(w, http.StatusOK, envelope(nil, f.authBlock(tok, f.ttl, true), 0))
			return
		}
	}
	tok := r.Header.Get("X-Vault-Token")
	ft, ok := f.tokens[tok]
	if !ok || (!ft.expires.IsZero() && !f.now().Before(ft.expires)) {
		vaultErrors(w, http.StatusForbidden, "permission denied")
		return
	}
	switch {
	case r.Method == http.MethodGet && path == "auth/token/lookup-self":
		f.calls["lookup"]++
		ttl := 0
		if !ft.expires.IsZero() {
			ttl = int(ft.expires.Sub(f.now()) / time.Second)
		}
		writeJSON(w, http.StatusOK, envelope(map[string]any{"accessor": "acc", "creation_ttl": ttl, "ttl": ttl,
			"renewable": ft.renewable, "id": tok, "policies": []string{"default"}, "type": "service"}, nil, 0))
	case (r.Method == http.MethodPost || r.Method == http.MethodPut) && path == "auth/token/renew-self":
		f.calls["renew"]++
		if !ft.renewable {
			vaultErrors(w, http.StatusBadRequest, "lease is not renewable")
			return
		}
		ft.expires = f.now().Add(f.ttl)
		f.tokens[tok] = ft
		writeJSON(w, http.StatusOK, envelope(nil, f.authBlock(tok, f.ttl, true), 0))
	case r.Method == http.MethodGet:
		f.calls["read"]++
		if d, ok := f.kv1[path]; ok {
			writeJSON(w, http.StatusOK, envelope(d, nil, 2764800))
			return
		}
		if mount, p, ok := strings.Cut(path, "/data/"); ok {
			if d, ok := f.kv2[mount+"/"+p]; ok {
				writeJSON(w, http.StatusOK, envelope(map[string]any{"data": d, "metadata": map[string]any{
					"created_time": "2026-11-22T02:24:06.945319214Z", "custom_metadata": nil, "deletion_time": "",
					"destroyed": false, "version": 2}}, nil, 0))
				return
			}
		}
		vaultErrors(w, http.StatusNotFound)
	default:
		vaultErrors(w, http.StatusMethodNotAllowed, "unsupported operation")
	}
}
