package queue

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate"
)

// Before any rate is known one replica's workers' worth may wait; the limit then follows what the
// replicas finished while commands waited or some were refused, and an idle spell (nothing
// waiting, nothing refused) does not lower it.
func TestBacklogLimitFollowsCompletionRate(t *testing.T) {
	b := &backlog{floor: 4, maxWait: time.Second}
	admitted := 0
	for admitted < 1000 && admits(b) {
		admitted++
	}
	if admitted != 4 {
		t.Fatalf("admitted %d before any sample, want the floor 4", admitted)
	}
	t0 := time.Unix(1000, 0)
	b.observe(t0, 0, 4, b.snapshot())
	if admits(b) {
		t.Fatal("admitted with 4 waiting and no rate known")
	}
	// Refusing, while the workers take all: the limit lets through what they finished.
	b.observe(t0.Add(200*time.Millisecond), 20, 0, b.snapshot())
	if got := b.limit(); got != 100 {
		t.Fatalf("limit %d after 20 finished in 200ms while refusing, want 100", got)
	}
	b.observe(t0.Add(400*time.Millisecond), 20, 0, b.snapshot()) // no refusal since: kept
	if got := b.limit(); got != 100 {
		t.Fatalf("limit %d after an interval without refusals, want 100 still", got)
	}
	b.rate, b.known = 0, false
	// Busy for a second: 500 finished while commands waited.
	b.observe(t0.Add(1400*time.Millisecond), 20, 300, b.snapshot())
	b.observe(t0.Add(2400*time.Millisecond), 520, 300, b.snapshot())
	if got := b.limit(); got != 500 {
		t.Fatalf("limit %d after 500 finished in 1s, want 500", got)
	}
	admitted = 0
	for admitted < 1000 && admits(b) {
		admitted++
	}
	if admitted != 200 {
		t.Fatalf("admitted %d with 300 waiting and room for 500", admitted)
	}
	b.observe(t0.Add(2600*time.Millisecond), 620, 0, b.snapshot()) // it refused: 500/s still
	// Idle: a few finish, nothing waits or is refused; the measured rate stays.
	b.observe(t0.Add(3*time.Second), 630, 0, b.snapshot())
	b.observe(t0.Add(62*time.Second), 640, 0, b.snapshot())
	if got := b.limit(); got != 500 {
		t.Fatalf("limit %d after an idle minute, want 500 still", got)
	}
	// Stuck: commands wait and none finish, so the limit falls towards the floor.
	b.observe(t0.Add(63*time.Second), 640, 50, b.snapshot())
	for i := range 40 {
		b.observe(t0.Add(time.Duration(64+i)*time.Second), 640, 50, b.snapshot())
	}
	if got := b.limit(); got != 4 {
		t.Fatalf("limit %d with nothing finishing, want the floor 4", got)
	}
	if admits(b) {
		t.Fatal("admitted with 50 waiting and nothing finishing")
	}
}

// While no worker takes commands, the stream fills up to the limit and new commands are refused
// with the overload answer, counted; once a worker drains it, commands are taken again, and every
// one taken is run and replied to once.
func TestSubmitRefusedWhileBacklogFull(t *testing.T) {
	nc := natsURL(t)
	p := prefix(t, nc)
	s, c := &sink{}, &claims{m: map[string]bool{}}
	var mu sync.Mutex
	ran := map[string]int{}
	opts := Options{Prefix: p, Claim: c.claim, Unclaim: c.unclaim, Workers: 4,
		Open: func(context.Context, *opsgate.Request) (opsgate.Dispatcher, error) { return conv{s: s}, nil },
		Run: func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) (string, func()) {
			mu.Lock()
			ran[req.ID]++
			mu.Unlock()
			out.Send(ctx, opsgate.Textf("done %s", req.ID))
			return "", func() {}
		}}
	q, err := New(nc, opts)
	if err != nil {
		t.Fatal(err)
	}
	q.Start()
	t.Cleanup(func() { q.Close(context.Background()) })
	waitFor(t, "the stream", func() bool { return q.Ready(context.Background()) == nil })
	q.Stop() // its worker takes nothing: what is published waits in the stream

	before := testutil.ToFloat64(refused.WithLabelValues("backlog"))
	var taken []string
	refusals := 0
	var smu sync.Mutex
	submit := func(id string) string {
		r := q.Submit(context.Background(), &opsgate.Request{ID: id, Platform: "slack", UserID: "U1", Text: "ping"})
		smu.Lock()
		defer smu.Unlock()
		switch r {
		case "":
			taken = append(taken, id)
		case Overloaded:
			refusals++
		default:
			t.Errorf("%s: refused with %q, want %q", id, r, Overloaded)
		}
		return r
	}
	// At once, as a platform's requests come: each refused one waits (up to a second) for room
	// that never comes.
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { submit(fmt.Sprint("a", i)) })
	}
	wg.Wait()
	if refusals == 0 || len(taken) < 4 {
		t.Fatalf("%d taken, %d refused with nothing running: want the 4 a replica's workers run taken, the rest refused", len(taken), refusals)
	}
	if got := testutil.ToFloat64(refused.WithLabelValues("backlog")) - before; got != float64(refusals) {
		t.Errorf("opsgate_queue_refused_total{reason=\"backlog\"} rose by %v, want %d", got, refusals)
	}
	waitFor(t, "the backlog gauge", func() bool { return testutil.ToFloat64(backlogGauge) == float64(len(taken)) })
	if got := testutil.ToFloat64(backlogLimit); got != 4 {
		t.Errorf("opsgate_queue_backlog_limit %v with no rate known, want the 4 workers", got)
	}

	// Another replica's worker drains the stream; new commands are taken again.
	other, err := New(nc, opts)
	if err != nil {
		t.Fatal(err)
	}
	other.Start()
	t.Cleanup(func() { other.Close(context.Background()) })
	i := 0
	waitFor(t, "a command taken again", func() bool { i++; return submit(fmt.Sprint("b", i)) == "" })
	waitFor(t, "the replies", func() bool { return len(s.texts()) == len(taken) })
	mu.Lock()
	defer mu.Unlock()
	for _, id := range taken {
		if ran[id] != 1 {
			t.Errorf("%s taken and run %d times, want once", id, ran[id])
		}
	}
	if len(ran) != len(taken) {
		t.Errorf("%d commands run, %d taken: a refused one ran", len(ran), len(taken))
	}
}

func admits(b *backlog) bool {
	ok, _ := b.admit()
	return ok
}

// A command finding the backlog full waits for room: it is taken when a sample shows the
// replicas made some, and refused only when none came within the wait.
func TestBacklogWaitsForRoom(t *testing.T) {
	b := &backlog{floor: 2, maxWait: time.Second}
	if !b.wait(context.Background(), time.Millisecond) || !b.wait(context.Background(), time.Millisecond) {
		t.Fatal("the floor's two were not taken at once")
	}
	t0 := time.Unix(1000, 0)
	b.observe(t0, 0, 2, b.snapshot())
	if b.wait(context.Background(), 20*time.Millisecond) {
		t.Fatal("taken with the backlog full and no room made")
	}
	got := make(chan bool)
	go func() { got <- b.wait(context.Background(), time.Minute) }()
	// The workers took both: the waiting command gets their room.
	for {
		b.observe(t0.Add(200*time.Millisecond), 2, 0, b.snapshot())
		select {
		case ok := <-got:
			if !ok {
				t.Fatal("refused although the sample showed room")
			}
			return
		case <-time.After(10 * time.Millisecond): // the waiter may not have been waiting yet
		}
	}
}
