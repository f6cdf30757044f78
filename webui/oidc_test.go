package webui_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/webui"
)

// fakeIdP is an OpenID Connect provider speaking the documented protocol: discovery, an
// authorization endpoint that approves at once (as a user who is already logged in), the token
// endpoint (checking the PKCE verifier) and the signing keys.
type fakeIdP struct {
	*httptest.Server
	key    *rsa.PrivateKey
	mu     sync.Mutex
	codes  map[string]url.Values // code -> the authorization request
	groups []string
}

func newFakeIdP(t *testing.T, groups ...string) *fakeIdP {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	p := &fakeIdP{key: key, codes: map[string]url.Values{}, groups: groups}
	mux := http.NewServeMux()
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": p.URL, "authorization_endpoint": p.URL + "/authorize",
			"token_endpoint": p.URL + "/token", "jwks_uri": p.URL + "/jwks", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		code := "code-" + q.Get("state")[:8]
		p.mu.Lock()
		p.codes[code] = q
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		p.mu.Lock()
		req, ok := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		p.mu.Unlock()
		sum := sha256Base64(r.PostForm.Get("code_verifier"))
		if !ok || req.Get("code_challenge") != sum || req.Get("code_challenge_method") != "S256" {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		now := time.Now()
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": p.URL, "aud": req.Get("client_id"), "sub": "s-123",
			"preferred_username": "carol", "groups": p.groups, "nonce": req.Get("nonce"), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
		tok.Header["kid"] = "k1"
		signed, _ := tok.SignedString(key)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": signed})
	})
	return p
}

func TestSingleSignOn(t *testing.T) {
	for _, c := range []struct {
		groups []string
		role   opsgate.Role
	}{{[]string{"staff", "ops-admins"}, opsgate.RoleAdmin}, {[]string{"staff"}, opsgate.RoleViewer}, {[]string{"guests"}, ""}} {
		idp := newFakeIdP(t, c.groups...)
		e := newUIWith(t, func(ui *webui.UI) {
			ui.OIDC = &webui.OIDC{Issuer: idp.URL, ClientID: "opsgate", ClientSecret: "s3", RoleClaim: "groups",
				Roles: map[string]opsgate.Role{"ops-admins": opsgate.RoleAdmin, "staff": opsgate.RoleViewer}}
		})
		e.ui.OIDC.RedirectURL = e.url + "/ui/login/oidc/callback"
		b := newBrowser(t, e.url)
		if _, page := b.get("/ui/login"); !strings.Contains(page, "Log in with single sign-on") {
			t.Fatal("login page does not offer single sign-on")
		}
		resp, _ := b.get("/ui/login/oidc?next=/ui/tokens")
		authz := resp.Header.Get("Location")
		if !strings.HasPrefix(authz, idp.URL+"/authorize?") || !strings.Contains(authz, "code_challenge=") || !strings.Contains(authz, "nonce=") {
			t.Fatalf("start: %d %s", resp.StatusCode, authz)
		}
		resp, err := http.Get(authz) // the provider approves and sends the browser back
		if err == nil {
			resp.Body.Close()
		}
		back := resp.Request.Response.Header.Get("Location")
		cb, _ := url.Parse(back)
		resp, page := b.get(cb.RequestURI())
		if c.role == "" {
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "no opsgate role") {
				t.Errorf("groups %v: %d, want 403 naming the missing role", c.groups, resp.StatusCode)
			}
			continue
		}
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/tokens" {
			t.Fatalf("groups %v: callback %d %s\n%s", c.groups, resp.StatusCode, resp.Header.Get("Location"), page)
		}
		if _, page := b.get("/ui/grants"); !strings.Contains(page, "carol ("+string(c.role)+")") {
			t.Errorf("groups %v: not logged in as carol (%s)", c.groups, c.role)
		}
		// The same answer replayed (another browser, or again) is refused: the state was this login's, once.
		if resp, _ := newBrowser(t, e.url).get(cb.RequestURI()); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("replayed callback: %d, want 400", resp.StatusCode)
		}
	}
}
