package kit

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

type statusErr struct {
	status int
	after  time.Duration
}

func (e *statusErr) Error() string { return "platform said no" }

func readStatus(err error) (Failure, bool) {
	var se *statusErr
	if errors.As(err, &se) {
		return Failure{Status: se.status, RetryAfter: se.after}, true
	}
	return Failure{}, false
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

// run calls Do with f failing with errs in turn, then succeeding; it returns the waits and calls.
func run(r Retry, errs ...error) (waits []time.Duration, calls int, err error) {
	r.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	r.Read = readStatus
	err = r.Do(context.Background(), func(context.Context) error {
		calls++
		if calls <= len(errs) {
			return errs[calls-1]
		}
		return nil
	})
	return waits, calls, err
}

func TestRetryBacksOffAndHonoursRetryAfter(t *testing.T) {
	waits, calls, err := run(Retry{}, &statusErr{status: 429, after: 2 * time.Second}, &statusErr{status: 503}, timeoutErr{})
	if err != nil || calls != 4 {
		t.Fatalf("err %v after %d calls, want success on the 4th", err, calls)
	}
	want := []time.Duration{2 * time.Second, time.Second, 2 * time.Second}
	if len(waits) != 3 || waits[0] != want[0] || waits[1] != want[1] || waits[2] != want[2] {
		t.Fatalf("waited %v, want %v (Retry-After, then backoff doubling)", waits, want)
	}
}

func TestRetryAttemptsBounded(t *testing.T) {
	e := &statusErr{status: 500}
	waits, calls, err := run(Retry{Attempts: 3}, e, e, e, e, e)
	if err != e || calls != 3 || len(waits) != 2 {
		t.Fatalf("err %v, %d calls, %d waits; want the 500 after 3 calls", err, calls, len(waits))
	}
}

func TestRetryNotForClientErrorsOrFinal(t *testing.T) {
	for _, e := range []error{&statusErr{status: 400}, errors.New("dns: no such host")} {
		if _, calls, err := run(Retry{}, e); err != e || calls != 1 {
			t.Errorf("%v: %d calls, want 1", e, calls)
		}
	}
	r := Retry{Read: func(error) (Failure, bool) { return Failure{Status: 502, Final: true}, true }}
	if _, ok := r.Wait(errors.New("x"), 1); ok {
		t.Error("a Final failure was retried")
	}
}

// A platform asking for a huge Retry-After cannot park a delivery for hours.
func TestRetryAfterCapped(t *testing.T) {
	r := Retry{Read: readStatus}
	if d, ok := r.Wait(&statusErr{status: 429, after: 6 * time.Hour}, 1); !ok || d != MaxRetryAfter {
		t.Fatalf("got %v %v, want %v", d, ok, MaxRetryAfter)
	}
	r = Retry{Read: readStatus, MaxWait: 30 * time.Second, GiveUpPastMax: true}
	if _, ok := r.Wait(&statusErr{status: 429, after: time.Hour}, 1); ok {
		t.Fatal("GiveUpPastMax waited past the cap")
	}
	if d, _ := r.Wait(&statusErr{status: 429, after: 3 * time.Second}, 1); d != 3*time.Second {
		t.Fatalf("a short Retry-After must be honoured as is, got %v", d)
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	err := Retry{Read: readStatus}.Do(ctx, func(context.Context) error { calls++; return &statusErr{status: 503} })
	if calls != 1 || err == nil {
		t.Fatalf("%d calls, err %v: a cancelled context must stop the retries", calls, err)
	}
}

func TestPlumbingDefaults(t *testing.T) {
	var p Plumbing
	p.Defaults(1024)
	if p.Now == nil || p.Logger == nil || p.MaxBody != 1024 || p.HTTPClient == nil || p.Sleep == nil || p.Attempts != DefaultAttempts {
		t.Fatalf("defaults not filled: %+v", p)
	}
	p = Plumbing{MaxBody: 5, Attempts: 2}
	p.Defaults(1024)
	if p.MaxBody != 5 || p.Attempts != 2 {
		t.Fatalf("set values overwritten: %+v", p)
	}
}
