package kit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestMemoryExpiresOnTheInjectedClock(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	m := NewMemory(10, time.Hour, clk.Now)
	if !m.First("a") || m.First("a") {
		t.Fatal("a key must be first once")
	}
	clk.Add(59 * time.Minute)
	if m.First("a") {
		t.Fatal("forgotten inside its ttl")
	}
	clk.Add(2 * time.Minute)
	if !m.First("a") {
		t.Fatal("still remembered past its ttl")
	}
}

func TestMemoryBounded(t *testing.T) {
	m := NewMemory(100, time.Hour, nil)
	for i := range 1000 {
		m.Add(fmt.Sprint(i))
	}
	if m.Len() > 100 {
		t.Fatalf("holds %d keys, want at most 100", m.Len())
	}
	if !m.Has("999") || m.Has("0") {
		t.Fatal("the newest key must stay, the oldest go")
	}
}

func TestOnceClaims(t *testing.T) {
	taken := map[string]bool{"other-replica": true}
	var dbDown bool
	var logs bytes.Buffer
	o := NewOnce(OnceOptions{Name: "test events", TTL: time.Hour, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Claim: func(_ context.Context, key string) (bool, error) {
			if dbDown {
				return false, errors.New("connection refused")
			}
			if taken[key] {
				return false, nil
			}
			taken[key] = true
			return true, nil
		},
		Unclaim: func(_ context.Context, key string) error { delete(taken, key); return nil },
	})
	ctx := context.Background()
	if !o.First(ctx, "e1") || o.First(ctx, "e1") {
		t.Fatal("e1 must be first once")
	}
	if o.First(ctx, "other-replica") {
		t.Fatal("a key another replica claimed was handled here too")
	}
	o.Forget(ctx, "e1")
	if !o.First(ctx, "e1") {
		t.Fatal("a forgotten key (and its released claim) must be first again")
	}

	dbDown = true
	if !o.First(ctx, "e2") || !o.First(ctx, "e3") {
		t.Fatal("with the database down this replica's memory must decide")
	}
	if o.First(ctx, "e2") {
		t.Fatal("this replica's memory must still refuse a repeat during an outage")
	}
	if n := strings.Count(logs.String(), "claim failed"); n != 1 {
		t.Fatalf("logged the outage %d times, want once:\n%s", n, logs.String())
	}
	dbDown = false
	o.First(ctx, "e4")
	dbDown = true
	o.First(ctx, "e5")
	if n := strings.Count(logs.String(), "claim failed"); n != 2 {
		t.Fatalf("a second outage logged %d times in all, want 2", n)
	}
}

func BenchmarkOnceFirst(b *testing.B) {
	o := NewOnce(OnceOptions{Size: 50_000, TTL: time.Hour})
	keys := make([]string, 100_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("Ev%016x", i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		o.First(ctx, keys[i%len(keys)])
	}
}
