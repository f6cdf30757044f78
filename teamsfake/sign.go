package teamsfake

import (
	"bytes"
	"crypto/x509"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Forge changes how an activity token is made, to test that each fault is refused.
type Forge func(*forge)

type forge struct {
	claims   jwt.MapClaims
	alg      string
	unsigned bool
	unknown  bool // signed with a key the JWKS does not hold, under a new kid
	wrongKey bool // the published kid, signed with another key
	hmac     bool // HS256 keyed with the public key (algorithm confusion)
}

func WithAudience(aud string) Forge   { return func(f *forge) { f.claims["aud"] = aud } }
func WithIssuer(iss string) Forge     { return func(f *forge) { f.claims["iss"] = iss } }
func WithExpiry(t time.Time) Forge    { return func(f *forge) { f.claims["exp"] = t.Unix() } }
func WithNotBefore(t time.Time) Forge { return func(f *forge) { f.claims["nbf"] = t.Unix() } }

// WithServiceURL sets the serviceurl claim; "" removes it.
func WithServiceURL(u string) Forge {
	return func(f *forge) {
		if u == "" {
			delete(f.claims, "serviceurl")
		} else {
			f.claims["serviceurl"] = u
		}
	}
}

// WithCamelServiceURL spells the claim "serviceUrl", as Microsoft's documentation does.
func WithCamelServiceURL() Forge {
	return func(f *forge) { f.claims["serviceUrl"] = f.claims["serviceurl"]; delete(f.claims, "serviceurl") }
}

func WithAlgorithm(alg string) Forge { return func(f *forge) { f.alg = alg } }
func Unsigned() Forge                { return func(f *forge) { f.unsigned = true } }
func UnknownKey() Forge              { return func(f *forge) { f.unknown = true } }
func WrongKey() Forge                { return func(f *forge) { f.wrongKey = true } }
func HMACWithPublicKey() Forge       { return func(f *forge) { f.hmac = true } }

// stranger is a key no fake publishes, generated once: RSA key generation is slow.
var stranger = sync.OnceValue(func() *signingKey { return newKey("key-unknown", []string{"msteams"}) })

// Token returns the Authorization header value the Bot Connector would send with an activity
// to serviceURL, altered by forges; "" when Unsigned.
func (s *Server) Token(serviceURL string, forges ...Forge) string {
	now := s.Now()
	f := &forge{alg: "RS256", claims: jwt.MapClaims{
		"serviceurl": serviceURL, "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
		"iss": Issuer, "aud": s.AppID,
	}}
	for _, fn := range forges {
		fn(f)
	}
	if f.unsigned {
		return ""
	}
	s.mu.Lock()
	k := s.keys[len(s.keys)-1]
	s.mu.Unlock()
	kid, priv := k.kid, k.priv
	switch {
	case f.unknown:
		sk := stranger()
		kid, priv = sk.kid, sk.priv
	case f.wrongKey:
		priv = stranger().priv
	}
	var t *jwt.Token
	var key any = priv
	if f.hmac {
		t = jwt.NewWithClaims(jwt.SigningMethodHS256, f.claims)
		key = x509.MarshalPKCS1PublicKey(&k.priv.PublicKey)
	} else {
		t = jwt.NewWithClaims(jwt.GetSigningMethod(f.alg), f.claims)
	}
	t.Header["kid"], t.Header["x5t"] = kid, kid
	signed, err := t.SignedString(key)
	if err != nil {
		panic(err)
	}
	return "Bearer " + signed
}

// Request returns the POST the Bot Connector would make to endpoint with the activity body
// (whose serviceUrl is the fake's unless the body says otherwise), signed per forges.
func (s *Server) Request(endpoint string, body []byte, forges ...Forge) *http.Request {
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if tok := s.Token(s.ServiceURL(), forges...); tok != "" {
		req.Header.Set("Authorization", tok)
	}
	return req
}

// WithoutClaim removes a claim (exp, aud, iss, nbf, serviceurl).
func WithoutClaim(name string) Forge { return func(f *forge) { delete(f.claims, name) } }
