package webui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/opsgate/opsgate"
)

// OIDC signs users in through an OpenID Connect provider (authorization code flow with PKCE).
// A claim of the ID token (a string or a list of strings, e.g. "groups") maps to a role; a user
// with no mapped value is refused. Such users have no account in opsgate: their name and role
// live in the session, taken again from the provider at each login.
type OIDC struct {
	Issuer, ClientID, ClientSecret string
	// RedirectURL is opsgate's callback as the provider knows it: https://HOST/ui/login/oidc/callback.
	RedirectURL string
	// RoleClaim names the claim; Roles maps its values to roles (the most powerful match wins).
	RoleClaim string
	Roles     map[string]opsgate.Role
	// Client is used to talk to the provider (nil: a client with a 15s timeout).
	Client *http.Client

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	config   *oauth2.Config
}

// session keys of a single sign-on login in progress, and of a signed-in SSO user
const (
	keyOIDCState    = "oidc_state"
	keyOIDCNonce    = "oidc_nonce"
	keyOIDCVerifier = "oidc_verifier"
	keyOIDCNext     = "oidc_next"
	keySSORole      = "sso_role"
)

// setup discovers the provider at first use, so that opsgate starts while the provider is down.
func (o *OIDC) setup(ctx context.Context) (*oidc.IDTokenVerifier, *oauth2.Config, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.verifier != nil {
		return o.verifier, o.config, nil
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 15 * time.Second}
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.Client), o.Issuer)
	if err != nil {
		return nil, nil, err
	}
	o.verifier = p.Verifier(&oidc.Config{ClientID: o.ClientID})
	o.config = &oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Endpoint: p.Endpoint(), RedirectURL: o.RedirectURL,
		Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	return o.verifier, o.config, nil
}

// role is the most powerful role the claim's values map to ("" when none).
func (o *OIDC) role(claims map[string]any) opsgate.Role {
	var values []string
	switch v := claims[o.RoleClaim].(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	for _, r := range opsgate.Roles { // most powerful first
		for _, v := range values {
			if o.Roles[v] == r {
				return r
			}
		}
	}
	return ""
}

func randomString() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// oidcStart sends the browser to the provider, remembering state, nonce and PKCE verifier in the session.
func (u *UI) oidcStart(w http.ResponseWriter, r *http.Request) {
	_, cfg, err := u.OIDC.setup(r.Context())
	if err != nil {
		u.Logger.Error("web ui: single sign-on provider", "issuer", u.OIDC.Issuer, "err", err)
		logins.WithLabelValues("error").Inc()
		u.renderStatus(w, r, nil, http.StatusBadGateway, "login", "Log in", loginData{Next: "/ui/", SSO: true},
			"The single sign-on provider cannot be reached; try again later or log in with a password.")
		return
	}
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	u.sm.Put(r.Context(), keyOIDCState, state)
	u.sm.Put(r.Context(), keyOIDCNonce, nonce)
	u.sm.Put(r.Context(), keyOIDCVerifier, verifier)
	u.sm.Put(r.Context(), keyOIDCNext, safeNext(r.URL.Query().Get("next")))
	http.Redirect(w, r, cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
}

// oidcCallback finishes a single sign-on: the state must be this browser's, the ID token valid for
// opsgate with this login's nonce, and a claim must map to a role.
func (u *UI) oidcCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	refuse := func(status int, msg string, args ...any) {
		logins.WithLabelValues("refused").Inc()
		u.Logger.Info("web ui: single sign-on refused", append([]any{"reason", msg}, args...)...)
		u.renderStatus(w, r, nil, status, "login", "Log in", loginData{Next: "/ui/", SSO: true}, msg)
	}
	state := u.sm.PopString(ctx, keyOIDCState)
	nonce, verifierCode, next := u.sm.PopString(ctx, keyOIDCNonce), u.sm.PopString(ctx, keyOIDCVerifier), u.sm.PopString(ctx, keyOIDCNext)
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(r.URL.Query().Get("state"))) != 1 {
		refuse(http.StatusBadRequest, "This single sign-on answer does not belong to a login started in this browser; log in again.")
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		refuse(http.StatusUnauthorized, "The single sign-on provider refused the login.", "error", e)
		return
	}
	verifier, cfg, err := u.OIDC.setup(ctx)
	if err != nil {
		refuse(http.StatusBadGateway, "The single sign-on provider cannot be reached; try again later.")
		return
	}
	octx := oidc.ClientContext(ctx, u.OIDC.Client)
	tok, err := cfg.Exchange(octx, r.URL.Query().Get("code"), oauth2.VerifierOption(verifierCode))
	if err != nil {
		refuse(http.StatusUnauthorized, "The single sign-on provider did not accept the login.", "err", err.Error())
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(octx, raw)
	if err != nil || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		refuse(http.StatusUnauthorized, "The single sign-on answer could not be verified; log in again.", "err", err)
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		refuse(http.StatusUnauthorized, "The single sign-on answer could not be read.")
		return
	}
	name := idt.Subject
	for _, k := range []string{"preferred_username", "email"} {
		if s, ok := claims[k].(string); ok && s != "" {
			name = s
			break
		}
	}
	role := u.OIDC.role(claims)
	if role == "" {
		refuse(http.StatusForbidden, "Your account has no opsgate role: ask an administrator to map one of your "+u.OIDC.RoleClaim+" to a role.", "user", name)
		return
	}
	if err := u.sm.RenewToken(ctx); err != nil {
		u.fail(w, r, nil, err)
		return
	}
	u.sm.Put(ctx, keyUser, name)
	u.sm.Put(ctx, keySSORole, string(role))
	logins.WithLabelValues("ok").Inc()
	u.Logger.Info("web ui: login", "user", name, "role", role, "via", "oidc")
	back(w, r, safeNext(next))
}
