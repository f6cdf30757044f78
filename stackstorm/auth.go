package stackstorm

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Credential kinds, as st2 names its two headers.
const (
	KindToken  = "token"   // X-Auth-Token
	KindAPIKey = "api_key" // St2-Api-Key
)

// Credential authenticates one request to st2: a user token or an API key, never both
// (st2 refuses a request carrying both).
type Credential struct {
	Kind  string
	Value string
	User  string    // the st2 user it belongs to, when known
	Until time.Time // token expiry; zero for API keys and tokens of unknown expiry
}

// apply sets the credential's header on h.
func (c Credential) apply(h http.Header) {
	if c.Kind == KindAPIKey {
		h.Set("St2-Api-Key", c.Value)
	} else if c.Value != "" {
		h.Set("X-Auth-Token", c.Value)
	}
}

func (c Credential) same(o Credential) bool {
	return c.Kind == o.Kind && subtle.ConstantTimeCompare([]byte(c.Value), []byte(o.Value)) == 1
}

// Auth supplies credentials for st2 requests.
type Auth interface {
	// Credential returns the credential to use now, fetching or renewing a token when it can.
	Credential(ctx context.Context) (Credential, error)
	// Invalidate reports that st2 answered 401 to c, so the next Credential call fetches a new
	// token where that is possible. It reports whether a retry can succeed.
	Invalidate(c Credential) bool
}

// StaticAuth is a user token or API key from configuration or a user's login. st2 cannot renew
// either: once refused, it stays refused.
type StaticAuth struct{ Cred Credential }

// Credential returns the static credential.
func (a *StaticAuth) Credential(context.Context) (Credential, error) { return a.Cred, nil }

// Invalidate reports false: nothing to renew.
func (a *StaticAuth) Invalidate(Credential) bool { return false }

// PasswordAuth fetches tokens with a username and password (POST /auth/v1/tokens), renews them
// before they expire and fetches a new one when st2 refuses the current one. With Impersonate set,
// the username must be an st2 service user and the tokens are for the Impersonate user ("user" in
// the request body) or, with NicknameOrigin also set, for the st2 user whose nickname on that
// origin is Impersonate ("impersonate_user" + "nickname_origin").
type PasswordAuth struct {
	Client         *Client
	Username       string
	Password       string
	Impersonate    string
	NicknameOrigin string
	// TTL asked for; 0 lets st2 choose (auth.token_ttl, 24 h by default). Above st2's maximum, st2 answers 400.
	TTL time.Duration

	mu      sync.Mutex
	cur     Credential
	fetched time.Time
}

// renewAhead is how long before expiry a token is replaced: a tenth of its life, at most 10 minutes,
// so a command never starts with a token about to expire.
func renewAhead(life time.Duration) time.Duration {
	return min(life/10, 10*time.Minute)
}

// Credential returns a valid token, fetching one when none is held or the held one is near expiry.
func (a *PasswordAuth) Credential(ctx context.Context) (Credential, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.Client.now()
	if a.cur.Value != "" && (a.cur.Until.IsZero() || now.Before(a.cur.Until.Add(-renewAhead(a.cur.Until.Sub(a.fetched))))) {
		return a.cur, nil
	}
	tok, err := a.Client.CreateToken(ctx, TokenRequest{
		Username: a.Username, Password: a.Password, TTL: a.TTL,
		User: impersonateUser(a), ImpersonateUser: impersonateNick(a), NicknameOrigin: a.NicknameOrigin,
	})
	if err != nil {
		return Credential{}, err
	}
	a.cur = Credential{Kind: KindToken, Value: tok.Token, User: tok.User, Until: tok.Expiry}
	a.fetched = now
	return a.cur, nil
}

func impersonateUser(a *PasswordAuth) string {
	if a.NicknameOrigin == "" {
		return a.Impersonate
	}
	return ""
}

func impersonateNick(a *PasswordAuth) string {
	if a.NicknameOrigin != "" {
		return a.Impersonate
	}
	return ""
}

// Invalidate drops the held token if it is c (a 401 mid-life: revoked, or st2's clock differs from ours).
func (a *PasswordAuth) Invalidate(c Credential) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cur.same(c) {
		a.cur = Credential{}
	}
	return true
}

// Token is st2's answer to POST /auth/v1/tokens.
type Token struct {
	ID       string         `json:"id"`
	User     string         `json:"user"`
	Token    string         `json:"token"`
	Expiry   time.Time      `json:"expiry"`
	Metadata map[string]any `json:"metadata"`
}

// TokenRequest asks st2 for a token.
type TokenRequest struct {
	Username, Password string
	TTL                time.Duration
	// User asks, as a service user, for a token of another st2 user.
	User string
	// ImpersonateUser + NicknameOrigin ask, as a service user, for a token of the st2 user with this
	// chat nickname (st2 user "nicknames": {"slack": "alice"}).
	ImpersonateUser, NicknameOrigin string
}

// CreateToken runs POST /auth/v1/tokens with Basic authentication.
func (c *Client) CreateToken(ctx context.Context, r TokenRequest) (*Token, error) {
	body := map[string]any{}
	if r.TTL > 0 {
		body["ttl"] = int(r.TTL / time.Second)
	}
	if r.User != "" {
		body["user"] = r.User
	}
	if r.ImpersonateUser != "" {
		body["impersonate_user"] = r.ImpersonateUser
		body["nickname_origin"] = r.NicknameOrigin
	}
	buf, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.AuthURL, "/")+"/tokens", bytes.NewReader(buf))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(r.Username, r.Password)
	req.Header.Set("Content-Type", "application/json")
	var tok Token
	if err := c.send(req, &tok); err != nil {
		return nil, err
	}
	return &tok, nil
}

// ValidateToken runs POST /auth/v1/tokens/validate and reports st2's verdict.
func (c *Client) ValidateToken(ctx context.Context, token string) (bool, error) {
	buf, _ := json.Marshal(map[string]string{"token": token})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.AuthURL, "/")+"/tokens/validate", bytes.NewReader(buf))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		Valid bool `json:"valid"`
	}
	if err := c.send(req, &out); err != nil {
		return false, err
	}
	return out.Valid, nil
}
