package scheduler_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/scheduler"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

type runs struct {
	mu     sync.Mutex
	got    []string
	refuse int // the next refuse runs are refused, as an overloaded pipeline does
}

func (r *runs) handle(_ context.Context, req *opsgate.Request, _ opsgate.Dispatcher) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse > 0 {
		r.refuse--
		return "opsgate is overloaded; please try again shortly."
	}
	r.got = append(r.got, req.Text)
	return ""
}

func (r *runs) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.got
	r.got = nil
	return g
}

// A weekday 09:00 Paris schedule runs at 08:00 UTC in winter, once although two replicas tick;
// after downtime, missed runs are skipped or run once as each schedule says.
func TestSchedulesRunOnceInTheirZone(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres, store.MySQL} {
		t.Run(dialect, func(t *testing.T) {
			dsn := storetest.DSN(t, dialect)
			ctx := context.Background()
			now := time.Date(2030, 1, 7, 7, 0, 0, 0, time.UTC) // a Monday
			clock := func() time.Time { return now }
			var replicas []*scheduler.Runner
			var svc *store.ScheduleService
			got := &runs{}
			for range 2 {
				db, err := store.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				db.Now = clock
				svc = store.NewScheduleService(db)
				svc.Check = scheduler.Check
				replicas = append(replicas, &scheduler.Runner{Store: svc, Claim: db.Claim, Handle: got.handle, Now: clock,
					Logger: slog.New(slog.DiscardHandler)})
			}
			for _, sc := range []*opsgate.Schedule{
				{Cron: "0 9 * * 1-5", TimeZone: "Europe/Paris", Platform: "slack", ChannelID: "C1", UserID: "U1", Text: "report skip"},
				{Cron: "0 9 * * 1-5", TimeZone: "Europe/Paris", Platform: "slack", ChannelID: "C1", UserID: "U1", Text: "report once", Missed: opsgate.MissedRunOnce},
			} {
				if err := svc.CreateSchedule(ctx, sc); err != nil {
					t.Fatal(err)
				}
			}
			tick := func() []string {
				var wg sync.WaitGroup
				for _, r := range replicas {
					wg.Add(1)
					go func() { defer wg.Done(); r.Tick(ctx) }()
				}
				wg.Wait()
				g := got.take()
				if len(g) == 2 && g[0] > g[1] {
					g[0], g[1] = g[1], g[0]
				}
				return g
			}
			now = time.Date(2030, 1, 7, 7, 59, 0, 0, time.UTC)
			if g := tick(); len(g) != 0 {
				t.Fatalf("ran before 09:00 Paris: %v", g)
			}
			now = time.Date(2030, 1, 7, 8, 0, 30, 0, time.UTC)
			if g := tick(); strings.Join(g, ",") != "report once,report skip" {
				t.Fatalf("at 09:00 Paris: %v, want each once", g)
			}
			if g := tick(); len(g) != 0 {
				t.Fatalf("ran again: %v", g)
			}
			// Down from Monday until Thursday noon: three runs missed.
			now = time.Date(2030, 1, 10, 12, 0, 0, 0, time.UTC)
			if g := tick(); strings.Join(g, ",") != "report once" {
				t.Fatalf("after downtime: %v, want only the run_once schedule, once", g)
			}
			now = time.Date(2030, 1, 11, 8, 0, 10, 0, time.UTC)
			if g := tick(); strings.Join(g, ",") != "report once,report skip" {
				t.Fatalf("next day: %v", g)
			}
		})
	}
}

func TestScheduleValidation(t *testing.T) {
	for sc, want := range map[*opsgate.Schedule]string{
		{Cron: "0 9 * *", Platform: "slack", ChannelID: "C", UserID: "U", Text: "x"}:                             "Cron expression",
		{Cron: "CRON_TZ=UTC 0 9 * * *", Platform: "slack", ChannelID: "C", UserID: "U", Text: "x"}:               "time zone on its own",
		{Cron: "0 9 * * *", TimeZone: "Mars/Olympus", Platform: "slack", ChannelID: "C", UserID: "U", Text: "x"}: "not an IANA zone",
		{Cron: "0 9 * * *", Platform: "slack", ChannelID: "C", UserID: "U", Text: "x", Missed: "later"}:          "not skip or run_once",
	} {
		sc.Normalize()
		err := sc.Validate()
		if err == nil {
			err = scheduler.Check(sc)
		}
		if !strings.Contains(opsgate.ErrorMessage(err), want) {
			t.Errorf("%+v: %v, want %q", sc, err, want)
		}
	}
}

// A run the pipeline refuses (overloaded, stopping) is not lost: it is given back and runs on the
// next tick, once, while it is still on time.
func TestRefusedRunRunsOnNextTick(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	now := time.Date(2030, 1, 7, 8, 0, 30, 0, time.UTC)
	clock := func() time.Time { return now }
	db.Now = clock
	svc := store.NewScheduleService(db)
	svc.Check = scheduler.Check
	sc := &opsgate.Schedule{Cron: "0 8 * * *", TimeZone: "UTC", Platform: "terminal", OrgID: "local", ChannelID: "terminal",
		UserID: "alice", Text: "uptime", Missed: opsgate.MissedSkip}
	ctx := context.Background()
	if err := svc.CreateSchedule(ctx, sc); err != nil {
		t.Fatal(err)
	}
	// Created a day before, so 08:00 today is due.
	if _, err := db.SQL.ExecContext(ctx, "UPDATE schedules SET created_at = ?", now.Add(-24*time.Hour).Unix()); err != nil {
		t.Fatal(err)
	}
	got := &runs{refuse: 1}
	r := &scheduler.Runner{Store: svc, Claim: db.Claim, Unclaim: db.Unclaim, Handle: got.handle, Now: clock,
		Logger: slog.New(slog.DiscardHandler)}
	r.Tick(ctx)
	if g := got.take(); len(g) != 0 {
		t.Fatalf("a refused run counted as run: %v", g)
	}
	now = now.Add(5 * time.Second)
	r.Tick(ctx)
	r.Tick(ctx)
	if g := got.take(); len(g) != 1 || g[0] != "uptime" {
		t.Fatalf("after the refusal the run should happen once on the next tick, got %v", g)
	}
}
