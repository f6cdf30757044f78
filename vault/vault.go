// Package vault is the hashicorp-vault secrets provider: KV v1 and v2 reads from one or more
// named Vault servers, each with one long-lived client whose token (static or from an AppRole
// login) is renewed before it expires and re-obtained when renewal is no longer possible, so
// reads never log in (Nautobot's provider logged in per read and piled up leases).
package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/opsgate/opsgate"
)

// Auth methods.
const (
	AuthToken   = "token"
	AuthAppRole = "approle"
)

// Config describes one Vault server.
type Config struct {
	URL       string
	Namespace string // Vault Enterprise / OpenBao namespace, sent as X-Vault-Namespace
	CACert    string // PEM file of the CA that signed the server's certificate
	Auth      Auth
	Timeout   time.Duration // per request; 0: 30s
}

// Auth says how a client obtains its token.
type Auth struct {
	Method   string // "token" or "approle"
	Token    string
	RoleID   string
	SecretID string
	Mount    string // AppRole mount path; "" means "approle"
}

// DefaultVault is the name a secret reaches when its "vault" parameter is empty.
const DefaultVault = "default"

// Provider reads secrets from named Vault servers.
type Provider struct {
	// Now is the clock that decides when a token is renewed; time.Now unless a test sets it.
	Now     func() time.Time
	clients map[string]*client
}

var _ opsgate.SecretsProvider = (*Provider)(nil)

// New returns a provider for the named vaults. One vault may be named anything; with one vault
// that is not called "default", secrets need not name it.
func New(vaults map[string]Config) (*Provider, error) {
	p := &Provider{clients: map[string]*client{}}
	for name, cfg := range vaults {
		c, err := newClient(name, cfg, p.now)
		if err != nil {
			return nil, err
		}
		p.clients[name] = c
	}
	return p, nil
}

func (p *Provider) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (*Provider) Slug() string { return "hashicorp-vault" }
func (*Provider) Name() string { return "HashiCorpVaultSecretsProvider" }

var knownParams = map[string]bool{"path": true, "key": true, "mount_point": true, "kv_version": true, "vault": true}

// Validate checks the parameters: path and key are required; kv_version is v1 or v2; vault
// names a configured vault.
func (p *Provider) Validate(params map[string]string) error {
	for k := range params {
		if !knownParams[k] {
			return paramsErr(`Unknown parameter "` + k + `" (this provider takes path, key, mount_point, kv_version, vault).`)
		}
	}
	if strings.Trim(params["path"], "/") == "" {
		return paramsErr(`The "path" parameter is mandatory!`)
	}
	if params["key"] == "" {
		return paramsErr(`The "key" parameter is mandatory!`)
	}
	if _, err := kvVersion(params["kv_version"]); err != nil {
		return err
	}
	for _, k := range []string{"path", "mount_point"} {
		for _, el := range strings.Split(params[k], "/") {
			if el == ".." || el == "." {
				return paramsErr(`The "` + k + `" parameter cannot contain "` + el + `" segments.`)
			}
		}
	}
	_, err := p.client(params["vault"])
	return err
}

func kvVersion(s string) (int, error) {
	switch strings.ToLower(s) {
	case "", "v2", "2":
		return 2, nil
	case "v1", "1":
		return 1, nil
	}
	return 0, paramsErr(`The "kv_version" parameter must be v1 or v2, not "` + s + `".`)
}

func (p *Provider) client(name string) (*client, error) {
	if name == "" {
		if c, ok := p.clients[DefaultVault]; ok {
			return c, nil
		}
		if len(p.clients) == 1 {
			for _, c := range p.clients {
				return c, nil
			}
		}
		if len(p.clients) == 0 {
			return nil, paramsErr(`No vault is configured (secrets.vaults).`)
		}
		return nil, paramsErr(`The "vault" parameter is needed to choose one of ` + strings.Join(p.names(), ", ") + `.`)
	}
	if c, ok := p.clients[name]; ok {
		return c, nil
	}
	return nil, paramsErr(`No vault named "` + name + `" is configured (known: ` + strings.Join(p.names(), ", ") + `).`)
}

func (p *Provider) names() []string {
	out := make([]string, 0, len(p.clients))
	for n := range p.clients {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Get reads params["key"] of the secret at params["path"] under params["mount_point"] ("secret").
func (p *Provider) Get(ctx context.Context, params map[string]string) (string, error) {
	if err := p.Validate(params); err != nil {
		return "", err
	}
	c, _ := p.client(params["vault"])
	version, _ := kvVersion(params["kv_version"])
	mount := strings.Trim(params["mount_point"], "/")
	if mount == "" {
		mount = "secret"
	}
	path := strings.Trim(params["path"], "/")
	key := params["key"]

	data, err := c.readKV(ctx, mount, path, version)
	if err != nil {
		return "", err
	}
	if data == nil {
		return "", opsgate.NewSecretError(opsgate.ErrSecretValueNotFound,
			fmt.Sprintf(`No secret at "%s/%s" in vault "%s"!`, mount, path, c.name), nil)
	}
	raw, ok := data[key]
	if !ok {
		return "", opsgate.NewSecretError(opsgate.ErrSecretValueNotFound,
			fmt.Sprintf(`Key "%s" not found in secret "%s/%s" in vault "%s"!`, key, mount, path, c.name), nil)
	}
	switch v := raw.(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return "", opsgate.NewSecretError(opsgate.ErrSecretProvider, fmt.Sprintf(`Key "%s" holds a value that cannot be read.`, key), nil)
		}
		return string(b), nil
	}
}

func paramsErr(msg string) error {
	return opsgate.NewSecretError(opsgate.ErrSecretParameters, msg, nil)
}

// client is one Vault server's API client and the state of its token.
type client struct {
	name  string
	cfg   Config
	api   *api.Client // reads, lookup-self and renew-self, with the current token
	login *api.Client // AppRole logins, never carrying a token
	now   func() time.Time

	mu        sync.Mutex
	token     string    // "" until logged in
	renewable bool      // the token can be renewed
	renewAt   time.Time // zero: never (a token without TTL)
	expiresAt time.Time
}

func newClient(name string, cfg Config, now func() time.Time) (*client, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("vault %q: url is required", name)
	}
	switch cfg.Auth.Method {
	case AuthToken:
		if cfg.Auth.Token == "" {
			return nil, fmt.Errorf("vault %q: auth.token is required for token auth", name)
		}
	case AuthAppRole:
		if cfg.Auth.RoleID == "" || cfg.Auth.SecretID == "" {
			return nil, fmt.Errorf("vault %q: auth.role_id and auth.secret_id are required for approle auth", name)
		}
	default:
		return nil, fmt.Errorf("vault %q: auth.method must be token or approle, not %q", name, cfg.Auth.Method)
	}
	conf := api.DefaultConfig()
	if conf.Error != nil {
		return nil, fmt.Errorf("vault %q: %w", name, conf.Error)
	}
	conf.Address = cfg.URL
	conf.MaxRetries = 1
	conf.Timeout = cfg.Timeout
	if conf.Timeout <= 0 {
		conf.Timeout = 30 * time.Second
	}
	if cfg.CACert != "" {
		if err := conf.ConfigureTLS(&api.TLSConfig{CACert: cfg.CACert}); err != nil {
			return nil, fmt.Errorf("vault %q: ca_cert: %w", name, err)
		}
	}
	c := &client{name: name, cfg: cfg, now: now}
	for _, dst := range []**api.Client{&c.api, &c.login} {
		a, err := api.NewClient(conf)
		if err != nil {
			return nil, fmt.Errorf("vault %q: %w", name, err)
		}
		// NewClient picks up VAULT_TOKEN and VAULT_NAMESPACE from the environment; opsgate's
		// configuration alone decides which vault identity is used.
		a.ClearToken()
		if cfg.Namespace != "" {
			a.SetNamespace(cfg.Namespace)
		} else {
			a.ClearNamespace()
		}
		*dst = a
	}
	return c, nil
}

// readKV reads a KV secret's data map (nil when there is none), logging in or renewing first
// when the token needs it, and logging in again once if Vault no longer accepts the token.
func (c *client) readKV(ctx context.Context, mount, path string, version int) (map[string]any, error) {
	token, err := c.ensureToken(ctx)
	if err != nil {
		return nil, err
	}
	data, err := c.read(ctx, mount, path, version)
	if isDenied(err) && c.cfg.Auth.Method == AuthAppRole {
		if _, err = c.relogin(ctx, token); err != nil {
			return nil, err
		}
		data, err = c.read(ctx, mount, path, version)
	}
	if err != nil {
		return nil, c.readError(err, mount, path)
	}
	return data, nil
}

func (c *client) read(ctx context.Context, mount, path string, version int) (map[string]any, error) {
	a := c.api
	p := mount + "/" + path
	if version == 2 {
		p = mount + "/data/" + path
	}
	s, err := a.Logical().ReadWithContext(ctx, p)
	if err != nil || s == nil {
		return nil, err
	}
	if version == 1 {
		return s.Data, nil
	}
	d, _ := s.Data["data"].(map[string]any)
	return d, nil // nil for a deleted or destroyed version
}

func (c *client) readError(err error, mount, path string) error {
	var re *api.ResponseError
	if errors.As(err, &re) {
		msg := strings.Join(re.Errors, "; ")
		if msg == "" {
			msg = http.StatusText(re.StatusCode)
		}
		return opsgate.NewSecretError(opsgate.ErrSecretProvider,
			fmt.Sprintf(`Vault "%s" refused to read "%s/%s" (HTTP %d: %s).`, c.name, mount, path, re.StatusCode, msg), nil)
	}
	return opsgate.NewSecretError(opsgate.ErrSecretProvider, fmt.Sprintf(`Vault "%s" cannot be reached.`, c.name), err)
}

func isDenied(err error) bool {
	var re *api.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusForbidden
}

// ensureToken returns a token that is valid now: it logs in the first time, renews a token past
// two thirds of its TTL, and logs in again when the token cannot be renewed or has expired.
func (c *client) ensureToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	switch {
	case c.token == "":
		return c.doLogin(ctx)
	case !c.expiresAt.IsZero() && !now.Before(c.expiresAt):
		return c.doLogin(ctx)
	case !c.renewAt.IsZero() && !now.Before(c.renewAt):
		if c.renewable {
			if err := c.renew(ctx); err == nil {
				return c.token, nil
			}
		}
		if c.cfg.Auth.Method == AuthAppRole {
			return c.doLogin(ctx)
		}
		// A static token that cannot be renewed is used until Vault refuses it.
		c.renewAt = time.Time{}
	}
	return c.token, nil
}

// relogin logs in again unless another caller already replaced the refused token.
func (c *client) relogin(ctx context.Context, refused string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != refused {
		return c.token, nil
	}
	return c.doLogin(ctx)
}

// login obtains a token (AppRole) or checks the configured one (token auth). Called with c.mu held.
func (c *client) doLogin(ctx context.Context) (string, error) {
	var ttl time.Duration
	var renewable bool
	var token string
	switch c.cfg.Auth.Method {
	case AuthAppRole:
		mount := strings.Trim(c.cfg.Auth.Mount, "/")
		if mount == "" {
			mount = "approle"
		}
		s, err := c.login.Logical().WriteWithContext(ctx, "auth/"+mount+"/login", map[string]any{
			"role_id": c.cfg.Auth.RoleID, "secret_id": c.cfg.Auth.SecretID})
		if err != nil {
			return "", c.authError("AppRole login", err)
		}
		if s == nil || s.Auth == nil || s.Auth.ClientToken == "" {
			return "", opsgate.NewSecretError(opsgate.ErrSecretProvider, fmt.Sprintf(`Vault "%s" AppRole login returned no token.`, c.name), nil)
		}
		token, renewable = s.Auth.ClientToken, s.Auth.Renewable
		ttl = time.Duration(s.Auth.LeaseDuration) * time.Second
	default:
		c.api.SetToken(c.cfg.Auth.Token)
		s, err := c.api.Auth().Token().LookupSelfWithContext(ctx)
		if err != nil {
			return "", c.authError("token lookup", err)
		}
		token = c.cfg.Auth.Token
		if s != nil {
			ttl, _ = s.TokenTTL()
			renewable, _ = s.TokenIsRenewable()
		}
	}
	c.api.SetToken(token)
	c.token = token
	c.renewable = renewable
	c.setTTL(ttl)
	return token, nil
}

// renew extends the token; called with c.mu held.
func (c *client) renew(ctx context.Context) error {
	s, err := c.api.Auth().Token().RenewSelfWithContext(ctx, 0)
	if err != nil {
		return err
	}
	if s == nil || s.Auth == nil {
		return errors.New("renew-self returned no auth")
	}
	ttl := time.Duration(s.Auth.LeaseDuration) * time.Second
	if ttl <= 0 {
		return errors.New("renew-self returned no TTL")
	}
	c.renewable = s.Auth.Renewable
	c.setTTL(ttl)
	return nil
}

func (c *client) setTTL(ttl time.Duration) {
	if ttl <= 0 {
		c.renewAt, c.expiresAt = time.Time{}, time.Time{}
		return
	}
	now := c.now()
	c.expiresAt = now.Add(ttl)
	c.renewAt = now.Add(ttl * 2 / 3)
}

func (c *client) authError(what string, err error) error {
	var re *api.ResponseError
	if errors.As(err, &re) {
		return opsgate.NewSecretError(opsgate.ErrSecretProvider,
			fmt.Sprintf(`Vault "%s" %s failed (HTTP %d: %s).`, c.name, what, re.StatusCode, strings.Join(re.Errors, "; ")), nil)
	}
	return opsgate.NewSecretError(opsgate.ErrSecretProvider, fmt.Sprintf(`Vault "%s" %s failed: cannot reach the server.`, c.name, what), err)
}
