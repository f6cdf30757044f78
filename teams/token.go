package teams

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/opsgate/opsgate"
)

// Scope is the OAuth scope of a token for the Bot Connector.
const Scope = "https://api.botframework.com/.default"

// refreshBefore is how long before expiry a cached token is replaced, so that a token never
// expires in flight (Entra tokens last about an hour).
const refreshBefore = 5 * time.Minute

// DefaultTokenURL returns Entra's token endpoint for tenant; "" is the legacy multi-tenant
// botframework.com tenant (bots created since July 2025 are single-tenant and need their own).
func DefaultTokenURL(tenant string) string {
	if tenant == "" {
		tenant = "botframework.com"
	}
	return "https://login.microsoftonline.com/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
}

// TokenSource gets Bot Connector tokens with the client-credentials flow and caches each until
// shortly before it expires; one request is in flight at a time. Safe for concurrent use.
type TokenSource struct {
	URL          string
	ClientID     string
	clientSecret string
	HTTP         *http.Client
	// Now is the clock deciding when the cached token is replaced.
	Now func() time.Time

	mu     sync.Mutex
	token  string
	renew  time.Time
	flight singleflight.Group
}

// NewTokenSource returns a source for the bot appID with its password; tokenURL "" means
// DefaultTokenURL(tenant).
func NewTokenSource(tokenURL, tenant, appID, appPassword string, client *http.Client) *TokenSource {
	if tokenURL == "" {
		tokenURL = DefaultTokenURL(tenant)
	}
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &TokenSource{URL: tokenURL, ClientID: appID, clientSecret: appPassword, HTTP: client, Now: time.Now}
}

// Token returns a valid access token. Returns EUNAUTHORIZED when Entra refuses the credentials
// (the message names the error code, never the secret) and EINTERNAL when it cannot be reached.
func (s *TokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	tok, renew := s.token, s.renew
	s.mu.Unlock()
	if tok != "" && s.Now().Before(renew) {
		return tok, nil
	}
	ch := s.flight.DoChan("token", func() (any, error) {
		// A caller that read the cache just before another flight stored a token lands here.
		s.mu.Lock()
		tok, renew := s.token, s.renew
		s.mu.Unlock()
		if tok != "" && s.Now().Before(renew) {
			return tok, nil
		}
		// Not the first caller's context: its cancellation must not fail the callers sharing it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return s.fetch(fctx)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Invalidate drops the cached token (after the connector refused it).
func (s *TokenSource) Invalidate() {
	s.mu.Lock()
	s.token = ""
	s.mu.Unlock()
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	Error       string `json:"error"`
	// error_description is not read: it is long and repeats what the error code says.
}

func (s *TokenSource) fetch(ctx context.Context) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {s.ClientID},
		"client_secret": {s.clientSecret}, "scope": {Scope}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", opsgate.Errorf(opsgate.EINVALID, "teams token URL is not valid")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	start := s.Now()
	resp, err := s.HTTP.Do(req)
	if err != nil {
		// the error names the URL, never the form
		return "", fmt.Errorf("teams token request: %w", err)
	}
	defer resp.Body.Close()
	var tr tokenResponse
	dec := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tr)
	if resp.StatusCode != http.StatusOK {
		code := tr.Error
		if code == "" {
			code = resp.Status
		}
		if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized {
			return "", opsgate.Errorf(opsgate.EUNAUTHORIZED,
				"Teams token request refused (%s): check teams.app_id, teams.app_password and teams.tenant_id", code)
		}
		return "", fmt.Errorf("teams token request: %s", code)
	}
	if dec != nil || tr.AccessToken == "" || tr.ExpiresIn <= 0 {
		return "", fmt.Errorf("teams token request: response has no access_token or expires_in")
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	margin := min(refreshBefore, life/2)
	s.mu.Lock()
	s.token, s.renew = tr.AccessToken, start.Add(life-margin)
	s.mu.Unlock()
	return tr.AccessToken, nil
}
