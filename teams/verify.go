// Package teams speaks Microsoft Teams' Bot Framework protocol: it verifies incoming activities,
// turns them into requests, renders messages as Adaptive Cards and sends them through the
// Bot Connector with a client-credentials token.
package teams

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	"github.com/opsgate/opsgate/kit"
)

// Bot Framework constants (MicrosoftDocs bot-docs, bot-framework-rest-connector-authentication).
const (
	Issuer           = "https://api.botframework.com"
	DefaultOpenIDURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
	// Skew is the clock leeway on exp and nbf ("industry-standard clock-skew is 5 minutes").
	Skew = 5 * time.Minute
	// KeyMaxAge is how long fetched keys are trusted before the next verification refetches them;
	// the SDKs cache for 5 days, and a key Microsoft withdraws must stop verifying eventually.
	KeyMaxAge = 5 * 24 * time.Hour
	// RefetchInterval limits refetches caused by unknown key ids, so a flood of tokens naming
	// made-up kids costs Microsoft one request a minute, not one per token.
	RefetchInterval = time.Minute
	maxMetadata     = 1 << 20
)

// Reasons a token is refused; each is a metric label (opsgate_requests_rejected_total{platform="teams",reason}).
const (
	ReasonUnsigned           = "unsigned"
	ReasonMalformed          = "malformed_token"
	ReasonBadAlgorithm       = "bad_algorithm"
	ReasonUnknownKey         = "unknown_key"
	ReasonBadSignature       = "bad_signature"
	ReasonWrongAudience      = "wrong_audience"
	ReasonWrongIssuer        = "wrong_issuer"
	ReasonExpired            = "expired"
	ReasonNotYetValid        = "not_yet_valid"
	ReasonServiceURLMismatch = "service_url_mismatch"
	ReasonMissingEndorsement = "missing_endorsement"
	ReasonKeysUnavailable    = "keys_unavailable"
)

// VerifyError is why an activity was refused: a metric reason, the HTTP status to answer with and
// a one-line message safe to show the caller (it never holds the token).
type VerifyError struct {
	Reason  string
	Status  int
	Message string
}

func (e *VerifyError) Error() string { return "teams: " + e.Message }

func refuse(reason, msg string) *VerifyError {
	// Microsoft's documentation answers every failed check with 403; a request with no
	// credentials at all is a plain 401, and our failure to fetch keys is not the caller's fault.
	status := http.StatusForbidden
	switch reason {
	case ReasonUnsigned:
		status = http.StatusUnauthorized
	case ReasonKeysUnavailable:
		status = http.StatusServiceUnavailable
	}
	return &VerifyError{Reason: reason, Status: status, Message: msg}
}

// refusals counts refused activities with every other platform's refusals.
var refusals = kit.NewRefusals("teams")

// allowedAlgs are the algorithms accepted at most: RS256 is what the metadata lists, the .NET SDK
// also accepts RS384 and RS512. Anything else (none, HS*, ES*) is refused before a key is looked up.
var allowedAlgs = []string{"RS256", "RS384", "RS512"}

// key is one JWKS entry. Endorsements is nil when the key lists none (then any channel may use it).
type key struct {
	pub          *rsa.PublicKey
	endorsements []string
}

// Verifier checks the bearer token of incoming activities. Keys come from the jwks_uri of the
// OpenID metadata, are cached, and are refetched only for an unknown key id (rate-limited) or
// after KeyMaxAge. Safe for concurrent use.
//
// A small JWKS cache of our own rather than keyfunc/v3: the Bot Framework's `endorsements` member
// of each key is needed for the channel check, and jwt.Keyfunc is one closure over this map.
type Verifier struct {
	AppID     string
	OpenIDURL string
	HTTP      *http.Client
	// Now is the clock deciding exp, nbf and key age.
	Now func() time.Time

	mu      sync.RWMutex
	keys    map[string]key
	parser  *jwt.Parser // built for the algorithms the metadata lists
	fetched time.Time
	refetch *rate.Limiter
	flight  singleflight.Group
}

// NewVerifier returns a Verifier for the bot appID; openIDURL "" means DefaultOpenIDURL.
func NewVerifier(appID, openIDURL string, client *http.Client) *Verifier {
	if openIDURL == "" {
		openIDURL = DefaultOpenIDURL
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Verifier{AppID: appID, OpenIDURL: openIDURL, HTTP: client, Now: time.Now,
		refetch: rate.NewLimiter(rate.Every(RefetchInterval), 1)}
}

// claims are the token's claims; the docs spell the service URL claim "serviceUrl", the SDKs
// read "serviceurl", so either is accepted.
type claims struct {
	jwt.RegisteredClaims
	ServiceURLLower string `json:"serviceurl"`
	ServiceURLCamel string `json:"serviceUrl"`
}

// Verify checks authorization (the Authorization header) for activity a. It returns nil when the
// token is genuine, else a *VerifyError, which it has already counted in the rejection metric.
// The caller should then trust a.ServiceURL for replies (Client.Trust).
func (v *Verifier) Verify(ctx context.Context, authorization string, a *Activity) error {
	if err := v.verify(ctx, authorization, a); err != nil {
		var ve *VerifyError
		if !errors.As(err, &ve) {
			// The cause (an unreachable URL, a bad answer) is for the operator, not the caller.
			slog.Warn("teams: cannot fetch the Bot Framework signing keys", "err", err)
			ve = refuse(ReasonKeysUnavailable, "cannot fetch the Bot Framework signing keys")
		}
		refusals.Count(ve.Reason)
		return ve
	}
	return nil
}

func (v *Verifier) verify(ctx context.Context, authorization string, a *Activity) error {
	scheme, raw, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return refuse(ReasonUnsigned, "missing Authorization: Bearer token")
	}
	if err := v.ensureKeys(ctx); err != nil {
		return err
	}
	v.mu.RLock()
	p := v.parser
	v.mu.RUnlock()
	var used key
	var keyErr error
	c := &claims{}
	_, err := p.ParseWithClaims(strings.TrimSpace(raw), c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, err := v.lookup(ctx, kid)
		if err != nil {
			keyErr = err
			return nil, err
		}
		used = k
		return k.pub, nil
	})
	if err != nil {
		if keyErr != nil {
			var ve *VerifyError
			if errors.As(keyErr, &ve) {
				return ve
			}
			return keyErr
		}
		return classify(err)
	}
	url := c.ServiceURLLower
	if url == "" {
		url = c.ServiceURLCamel
	}
	if url == "" || url != a.ServiceURL {
		return refuse(ReasonServiceURLMismatch, "token's serviceurl claim does not match the activity's serviceUrl")
	}
	if used.endorsements != nil && a.ChannelID != "" && !slices.Contains(used.endorsements, a.ChannelID) {
		return refuse(ReasonMissingEndorsement, fmt.Sprintf("signing key is not endorsed for channel %q", kit.TruncateBytes(a.ChannelID, 40)))
	}
	return nil
}

// classify maps the parser's errors onto reasons; signatures are checked before claims, so a
// claim error means the token was genuinely signed.
func classify(err error) *VerifyError {
	switch {
	case errors.Is(err, jwt.ErrTokenSignatureInvalid) && strings.Contains(err.Error(), "signing method"):
		// the parser refuses an algorithm outside WithValidMethods with this error before any key is used
		return refuse(ReasonBadAlgorithm, "token signing algorithm is not accepted")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return refuse(ReasonBadSignature, "token signature is invalid")
	case errors.Is(err, jwt.ErrTokenExpired):
		return refuse(ReasonExpired, "token has expired")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return refuse(ReasonNotYetValid, "token is not valid yet")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return refuse(ReasonWrongAudience, "token audience is not this bot's app id")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return refuse(ReasonWrongIssuer, "token issuer is not "+Issuer)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && strings.Contains(err.Error(), "exp"):
		return refuse(ReasonExpired, "token has no expiry")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && strings.Contains(err.Error(), "aud"):
		return refuse(ReasonWrongAudience, "token audience is not this bot's app id")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && strings.Contains(err.Error(), "iss"):
		return refuse(ReasonWrongIssuer, "token issuer is not "+Issuer)
	}
	return refuse(ReasonMalformed, "token is not a valid JWT")
}

// lookup returns the key kid, refetching the key set once (rate-limited) when kid is unknown.
func (v *Verifier) lookup(ctx context.Context, kid string) (key, error) {
	v.mu.RLock()
	k, ok := v.keys[kid]
	v.mu.RUnlock()
	if ok {
		return k, nil
	}
	if kid == "" || !v.refetch.AllowN(v.Now(), 1) {
		return key{}, refuse(ReasonUnknownKey, "token is signed with an unknown key")
	}
	if err := v.fetch(ctx); err != nil {
		return key{}, err
	}
	v.mu.RLock()
	k, ok = v.keys[kid]
	v.mu.RUnlock()
	if !ok {
		return key{}, refuse(ReasonUnknownKey, "token is signed with an unknown key")
	}
	return k, nil
}

// ensureKeys fetches the keys the first time and after KeyMaxAge. A failed refresh of stale keys
// keeps the old ones: Microsoft being briefly unreachable must not stop every message.
func (v *Verifier) ensureKeys(ctx context.Context) error {
	v.mu.RLock()
	have, age := v.keys != nil, v.Now().Sub(v.fetched)
	v.mu.RUnlock()
	if have && age < KeyMaxAge {
		return nil
	}
	// Re-checked inside the flight: a caller that saw no keys just before another flight
	// stored them must not fetch again.
	err := v.share(ctx, "load", func() bool {
		v.mu.RLock()
		defer v.mu.RUnlock()
		return v.keys != nil && v.Now().Sub(v.fetched) < KeyMaxAge
	})
	if err != nil && !have {
		return err
	}
	return nil
}

// fetch reads the metadata and the key set; concurrent callers share one fetch.
func (v *Verifier) fetch(ctx context.Context) error {
	return v.share(ctx, "refetch", func() bool { return false })
}

func (v *Verifier) share(ctx context.Context, name string, fresh func() bool) error {
	ch := v.flight.DoChan(name, func() (any, error) {
		if fresh() {
			return nil, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return nil, v.load(fctx)
	})
	select {
	case r := <-ch:
		return r.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}

type metadata struct {
	JWKSURI string   `json:"jwks_uri"`
	Algs    []string `json:"id_token_signing_alg_values_supported"`
}

type jwks struct {
	Keys []struct {
		Kty          string   `json:"kty"`
		Kid          string   `json:"kid"`
		N            string   `json:"n"`
		E            string   `json:"e"`
		Endorsements []string `json:"endorsements"`
	} `json:"keys"`
}

func (v *Verifier) load(ctx context.Context) error {
	var md metadata
	if err := v.getJSON(ctx, v.OpenIDURL, &md); err != nil {
		return fmt.Errorf("openid metadata: %w", err)
	}
	if md.JWKSURI == "" {
		return errors.New("openid metadata has no jwks_uri")
	}
	var set jwks
	if err := v.getJSON(ctx, md.JWKSURI, &set); err != nil {
		return fmt.Errorf("jwks: %w", err)
	}
	keys := make(map[string]key, len(set.Keys))
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" {
			continue
		}
		pub, err := rsaKey(k.N, k.E)
		if err != nil {
			continue // one bad key must not disable the others
		}
		keys[k.Kid] = key{pub: pub, endorsements: k.Endorsements}
	}
	// The documentation says to use the algorithms the metadata lists; never beyond RS256/384/512.
	algs := allowedAlgs
	if len(md.Algs) > 0 {
		algs = slices.DeleteFunc(slices.Clone(allowedAlgs), func(a string) bool { return !slices.Contains(md.Algs, a) })
	}
	p := jwt.NewParser(jwt.WithValidMethods(algs), jwt.WithIssuer(Issuer), jwt.WithAudience(v.AppID),
		jwt.WithLeeway(Skew), jwt.WithTimeFunc(func() time.Time { return v.Now() }), jwt.WithExpirationRequired())
	v.mu.Lock()
	v.keys, v.parser, v.fetched = keys, p, v.Now()
	v.mu.Unlock()
	return nil
}

func (v *Verifier) getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := v.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, maxMetadata)).Decode(out)
}

func rsaKey(n, e string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil {
		return nil, err
	}
	eb, err := base64.RawURLEncoding.DecodeString(e)
	if err != nil || len(eb) == 0 || len(eb) > 4 {
		return nil, errors.New("bad exponent")
	}
	var exp int
	for _, b := range eb {
		exp = exp<<8 | int(b)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: exp}
	if pub.N.BitLen() < 2048 {
		return nil, errors.New("key too short")
	}
	return pub, nil
}
