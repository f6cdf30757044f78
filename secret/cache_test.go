package secret

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// countingEnv is the real environment-variable provider with a lookup that counts calls and can
// be held back, so concurrent callers pile up on one fetch.
func countingEnv(vars map[string]string, calls *atomic.Int64, gate <-chan struct{}) *EnvProvider {
	return &EnvProvider{LookupEnv: func(name string) (string, bool) {
		calls.Add(1)
		if gate != nil {
			<-gate
		}
		v, ok := vars[name]
		return v, ok
	}}
}

func newTestService(t *testing.T, clk *clock, p opsgate.SecretsProvider, secrets ...*opsgate.Secret) *Service {
	t.Helper()
	c := NewCache(time.Minute, 5*time.Second)
	c.Now = clk.Now
	s := NewService(newMemDefs(secrets...), Options{Cache: c})
	s.Register(p)
	return s
}

func envSecret(name, variable string) *opsgate.Secret {
	return &opsgate.Secret{Name: name, Provider: "environment-variable", Parameters: map[string]string{"variable": variable}}
}

func TestCacheHitAndExpiry(t *testing.T) {
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	var calls atomic.Int64
	vars := map[string]string{"TOKEN": "value-one"}
	s := newTestService(t, clk, countingEnv(vars, &calls, nil), envSecret("tok", "TOKEN"))
	ctx := context.Background()

	for i := 0; i < 3; i++ {
		if v, err := s.Resolve(ctx, "tok"); err != nil || v != "value-one" {
			t.Fatalf("Resolve = %q, %v", v, err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("provider called %d times for 3 reads within the TTL, want 1", n)
	}
	vars["TOKEN"] = "value-two"
	clk.Add(59 * time.Second)
	if v, _ := s.Resolve(ctx, "tok"); v != "value-one" {
		t.Fatalf("before expiry got %q", v)
	}
	clk.Add(2 * time.Second)
	if v, _ := s.Resolve(ctx, "tok"); v != "value-two" {
		t.Fatalf("after expiry got %q, want the new value", v)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("provider called %d times, want 2", n)
	}
	// Flush forgets values at once.
	vars["TOKEN"] = "value-three"
	s.Flush()
	if v, _ := s.Resolve(ctx, "tok"); v != "value-three" {
		t.Fatalf("after flush got %q", v)
	}
}

func TestCacheNegative(t *testing.T) {
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	var calls atomic.Int64
	vars := map[string]string{}
	s := newTestService(t, clk, countingEnv(vars, &calls, nil), envSecret("tok", "LATER"))
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := s.Resolve(ctx, "tok"); !errors.Is(err, ErrValueNotFound) {
			t.Fatalf("want not found, got %v", err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("a miss was fetched %d times within the negative TTL, want 1", n)
	}
	vars["LATER"] = "arrived"
	clk.Add(6 * time.Second)
	if v, err := s.Resolve(ctx, "tok"); err != nil || v != "arrived" {
		t.Fatalf("after the negative TTL: %q %v", v, err)
	}
}

func TestCacheSingleFlight(t *testing.T) {
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	var calls atomic.Int64
	gate := make(chan struct{})
	s := newTestService(t, clk, countingEnv(map[string]string{"TOKEN": "shared"}, &calls, gate), envSecret("tok", "TOKEN"))

	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.Resolve(context.Background(), "tok")
			if err == nil && v != "shared" {
				err = errors.New("wrong value")
			}
			errs <- err
		}()
	}
	// Wait until the one fetch is running and every caller is queued behind it.
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("%d concurrent reads made %d provider calls, want 1", n, got)
	}
}

func TestCacheWaiterCancel(t *testing.T) {
	var calls atomic.Int64
	gate := make(chan struct{})
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	s := newTestService(t, clk, countingEnv(map[string]string{"TOKEN": "v-slow"}, &calls, gate), envSecret("tok", "TOKEN"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := s.Resolve(ctx, "tok"); done <- err }()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller got %v", err)
	}
	// The fetch it started still completes for the next caller.
	close(gate)
	if v, err := s.Resolve(context.Background(), "tok"); err != nil || v != "v-slow" {
		t.Fatalf("next caller: %q %v", v, err)
	}
	if calls.Load() != 1 {
		t.Fatalf("calls = %d", calls.Load())
	}
}
