package kit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func from(addr string) *http.Request {
	r := httptest.NewRequest("POST", "/", nil)
	r.RemoteAddr = addr + ":1234"
	return r
}

func TestGuardLimitsRefusalsPerAddress(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	g := NewGuard(GuardOptions{Rate: 1, Burst: 3, Now: clk.Now})
	for i := 0; i < 3; i++ {
		if ok, _ := g.Refuse(from("198.51.100.1")); !ok {
			t.Fatalf("refusal %d within the burst was limited", i+1)
		}
	}
	ok, wait := g.Refuse(from("198.51.100.1"))
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("past the burst: ok=%v wait=%v, want limited for up to 1s", ok, wait)
	}
	if ok, _ := g.Refuse(from("198.51.100.2")); !ok {
		t.Fatal("another address was limited by the first one's refusals")
	}
	clk.Add(time.Second)
	if ok, _ := g.Refuse(from("198.51.100.1")); !ok {
		t.Fatal("still limited after the bucket refilled")
	}
}

// The old limiter forgot every limit once it held 10,000 addresses: a guesser could reset its
// own limit by refusing from many addresses (or wait for strangers to do it).
func TestGuardManyAddressesDoNotResetALimit(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	g := NewGuard(GuardOptions{Rate: 0.01, Burst: 2, Size: 1000, Now: clk.Now})
	limited := from("203.0.113.66")
	g.Refuse(limited)
	g.Refuse(limited)
	for i := 0; i < 20_000; i++ {
		g.Refuse(from(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)))
		if i%100 == 0 { // the guesser keeps guessing while the churn goes on
			if ok, _ := g.Refuse(limited); ok {
				t.Fatalf("after %d other addresses the limited address was allowed again", i)
			}
		}
	}
	if n := g.limits.Len(); n > 1000 {
		t.Fatalf("remembers %d addresses, want at most 1000", n)
	}
}

func TestGuardIPv6ByNetwork(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	g := NewGuard(GuardOptions{Rate: 0.01, Burst: 2, Now: clk.Now})
	g.Refuse(from("[2001:db8:1:2::1]"))
	g.Refuse(from("[2001:db8:1:2::2]"))
	if ok, _ := g.Refuse(from("[2001:db8:1:2::3]")); ok {
		t.Fatal("a fresh address in the same /64 escaped the limit")
	}
	if ok, _ := g.Refuse(from("[2001:db8:1:3::1]")); !ok {
		t.Fatal("another /64 was limited")
	}
}

func TestGuardHonoursTrustedProxies(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	proxies, _ := ParseTrustedProxies([]string{"10.0.0.1"})
	g := NewGuard(GuardOptions{Rate: 0.01, Burst: 1, Proxies: proxies, Now: clk.Now})
	via := func(client string) *http.Request {
		r := from("10.0.0.1")
		r.Header.Set("X-Forwarded-For", client)
		return r
	}
	g.Refuse(via("198.51.100.1"))
	if ok, _ := g.Refuse(via("198.51.100.1")); ok {
		t.Fatal("client behind the proxy not limited")
	}
	if ok, _ := g.Refuse(via("198.51.100.2")); !ok {
		t.Fatal("another client behind the same proxy was limited")
	}
}

func BenchmarkGuardRefuseAllowed(b *testing.B) {
	proxies, _ := ParseTrustedProxies([]string{"10.0.0.0/8"})
	g := NewGuard(GuardOptions{Rate: 1e9, Burst: 1 << 30, Proxies: proxies})
	reqs := make([]*http.Request, 256)
	for i := range reqs {
		reqs[i] = from("10.0.0.1")
		reqs[i].Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if ok, _ := g.Refuse(reqs[i&255]); !ok {
			b.Fatal("limited")
		}
	}
}

func BenchmarkLimitsAllow(b *testing.B) {
	l := NewLimits(1e9, 1<<30, 0, nil)
	keys := make([]string, 256)
	for i := range keys {
		keys[i] = fmt.Sprintf("token-%d", i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if ok, _ := l.Allow(keys[i&255]); !ok {
			b.Fatal("limited")
		}
	}
}

func TestGuardLimitedCountsNothing(t *testing.T) {
	now := time.Unix(1000, 0)
	g := NewGuard(GuardOptions{Rate: 1, Burst: 2, Now: func() time.Time { return now }})
	r := httptest.NewRequest("POST", "/ui/login", nil)
	r.RemoteAddr = "192.0.2.7:5000"
	for range 5 {
		if limited, _ := g.Limited(r); limited {
			t.Fatal("Limited before any refusal")
		}
	}
	g.Refuse(r)
	g.Refuse(r)
	limited, wait := g.Limited(r)
	if !limited || wait <= 0 {
		t.Errorf("after the burst: Limited = %v, %v; want true and a wait", limited, wait)
	}
	now = now.Add(2 * time.Second)
	if limited, _ := g.Limited(r); limited {
		t.Error("still limited after the bucket refilled")
	}
}
