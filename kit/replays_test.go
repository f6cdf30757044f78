package kit_test

import (
	"testing"
	"time"

	"github.com/opsgate/opsgate/kit"
)

func TestReplaysRefuseACopy(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	r := kit.NewReplays(10, 11*time.Minute, func() time.Time { return now })
	at := now.Unix()
	if v := r.See(at, 1); v != kit.Fresh {
		t.Fatalf("first request: %v, want fresh", v)
	}
	if v := r.See(at, 2); v != kit.Fresh {
		t.Fatalf("another request in the same second: %v, want fresh", v)
	}
	if v := r.See(at, 1); v != kit.Replay {
		t.Fatalf("a copy: %v, want replay", v)
	}
	// Signed before this process started: nobody here can say it was not run already.
	if v := r.See(at-1, 3); v != kit.Unverifiable {
		t.Fatalf("signed before start: %v, want unverifiable", v)
	}
	// After a crash of the process before: this second too (it may have run one signed in it).
	r.RefuseThrough(at)
	if v := r.See(at, 4); v != kit.Unverifiable {
		t.Fatalf("signed in the second after a crash: %v, want unverifiable", v)
	}
	if v := r.See(at+1, 4); v != kit.Fresh {
		t.Fatalf("signed after: %v, want fresh", v)
	}
}

// Past max keys the oldest seconds are forgotten and the floor rises past them: a copy of a
// forgotten request is refused as unverifiable, never run again.
func TestReplaysForgetOldestAndRaiseTheFloor(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	r := kit.NewReplays(4, 11*time.Minute, func() time.Time { return now })
	at := now.Unix()
	for i := range 6 { // seconds at..at+5, one key each
		if v := r.See(at+int64(i), uint64(i)); v != kit.Fresh {
			t.Fatalf("request %d: %v", i, v)
		}
	}
	if r.Len() != 4 {
		t.Fatalf("%d keys held, want 4", r.Len())
	}
	if r.Floor() != at+1 {
		t.Fatalf("floor %d, want %d (the two oldest seconds forgotten)", r.Floor(), at+1)
	}
	if v := r.See(at, 0); v != kit.Unverifiable {
		t.Fatalf("copy of a forgotten request: %v, want unverifiable", v)
	}
	if v := r.See(at+5, 5); v != kit.Replay {
		t.Fatalf("copy of a remembered request: %v, want replay", v)
	}
}

// Seconds past the window are dropped without waiting for max: memory follows the window.
func TestReplaysDropExpiredSeconds(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	r := kit.NewReplays(100, time.Minute, func() time.Time { return now })
	r.See(now.Unix(), 1)
	r.See(now.Unix(), 2)
	now = now.Add(2 * time.Minute)
	r.See(now.Unix(), 3)
	if r.Len() != 1 {
		t.Fatalf("%d keys held, want 1", r.Len())
	}
}

// A clean stop hands over what was seen: the next process refuses a copy of a request the
// previous one ran, and runs a request signed after the previous floor that nobody saw.
func TestReplaysHandover(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	clock := func() time.Time { return now }
	a := kit.NewReplays(100, 11*time.Minute, clock)
	a.See(now.Unix(), 7)
	now = now.Add(2 * time.Second)
	a.See(now.Unix(), 8)
	h := a.Handover()
	if v := a.See(now.Unix(), 9); v != kit.Unverifiable {
		t.Fatalf("after the handover the old process decided %v, want unverifiable", v)
	}

	now = now.Add(time.Second)
	b := kit.NewReplays(100, 11*time.Minute, clock)
	if err := b.Restore(h); err != nil {
		t.Fatal(err)
	}
	for _, k := range []uint64{7, 8} {
		sec := now.Unix() - 3
		if k == 8 {
			sec = now.Unix() - 1
		}
		if v := b.See(sec, k); v != kit.Replay {
			t.Fatalf("copy of %d after handover: %v, want replay", k, v)
		}
	}
	// Signed before b started, seen by nobody (a's floor was below it): fresh.
	if v := b.See(now.Unix()-1, 10); v != kit.Fresh {
		t.Fatalf("unseen request signed before start: %v, want fresh", v)
	}

	for _, bad := range [][]byte{nil, []byte("garbage"), h[:len(h)-1], append(append([]byte{}, h...), make([]byte, 16)...)} {
		c := kit.NewReplays(100, 11*time.Minute, clock)
		floor := c.Floor()
		if err := c.Restore(bad); err == nil {
			t.Fatalf("restore of %d malformed bytes: no error", len(bad))
		}
		if c.Floor() != floor || c.Len() != 0 {
			t.Fatal("a refused handover changed the state")
		}
	}
}

func BenchmarkReplaysSee(b *testing.B) {
	r := kit.NewReplays(0, 11*time.Minute, nil)
	at := time.Now().Unix()
	b.ReportAllocs()
	for i := range b.N {
		r.See(at+int64(i/5000), uint64(i)*0x9E3779B97F4A7C15)
	}
}
