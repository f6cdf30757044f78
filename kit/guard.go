package kit

import (
	"net/http"
	"net/netip"
	"time"
)

// Guard limits refused credentials (a wrong or missing token) per client address, so guessing a
// token is slow. Only refusals count: a caller presenting a valid token is served whatever other
// callers behind the same address did, and its own rate is the caller's business.
type Guard struct {
	Proxies *TrustedProxies
	limits  *Limits
}

// Default guessing limits: 10 refusals at once, then one every 2 seconds per address.
const (
	DefaultGuessBurst = 10
	DefaultGuessRate  = 0.5
)

// GuardOptions configure NewGuard; zero values take the defaults.
type GuardOptions struct {
	Rate    float64 // refusals per second allowed past the burst
	Burst   int
	Size    int // addresses remembered (DefaultLimitKeys)
	Proxies *TrustedProxies
	Now     func() time.Time
}

// NewGuard returns a Guard.
func NewGuard(o GuardOptions) *Guard {
	if o.Rate <= 0 {
		o.Rate = DefaultGuessRate
	}
	if o.Burst <= 0 {
		o.Burst = DefaultGuessBurst
	}
	return &Guard{Proxies: o.Proxies, limits: NewLimits(o.Rate, o.Burst, o.Size, o.Now)}
}

// ClientIP is r's client address (see TrustedProxies.ClientIP).
func (g *Guard) ClientIP(r *http.Request) string { return g.Proxies.ClientIP(r) }

// Refuse records a refused credential from r's client. It returns false, and how long to wait,
// when the client is past its limit: answer 429 with Retry-After instead of 401.
func (g *Guard) Refuse(r *http.Request) (ok bool, wait time.Duration) {
	return g.limits.Allow(addrKey(g.ClientIP(r)))
}

// Limited reports whether r's client is past its limit of refusals, and how long until it is not,
// without counting anything: a login form asks before checking a password, so that a guess past
// the limit is not even tried (and learns nothing).
func (g *Guard) Limited(r *http.Request) (bool, time.Duration) {
	return g.limits.Empty(addrKey(g.ClientIP(r)))
}

// addrKey is the limit's key for an address. An IPv6 host usually holds a whole /64, so a limit
// per /128 would be one fresh address away from useless.
func addrKey(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Is4() {
		return s
	}
	p, _ := a.Prefix(64)
	return p.String()
}
