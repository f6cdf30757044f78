// Package scheduler runs scheduled commands: each planned time of each schedule runs once across
// all replicas (claimed in the database by schedule id and planned time), through the same
// pipeline as a person's message, as the schedule's user.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	_ "time/tzdata" // schedules name IANA zones; do not depend on the host having them

	"github.com/robfig/cron/v3"

	"github.com/opsgate/opsgate"
)

// parser reads the five standard fields and descriptors like @daily; the zone is the schedule's.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Check returns EINVALID when s's cron expression cannot be parsed.
func Check(s *opsgate.Schedule) error {
	if strings.Contains(s.Cron, "TZ=") {
		return opsgate.Errorf(opsgate.EINVALID, "Give the time zone on its own (--tz), not in the cron expression %q.", s.Cron)
	}
	if _, err := parser.Parse(s.Cron); err != nil {
		return opsgate.Errorf(opsgate.EINVALID, "Cron expression %q: %v (five fields: minute hour day-of-month month day-of-week).", s.Cron, err)
	}
	return nil
}

// ClaimScope is the scope of the claims that make a planned run happen once.
const ClaimScope = "schedule"

// Runner checks the schedules and runs what is due.
type Runner struct {
	Store opsgate.ScheduleService
	// Claim is DB.Claim: true for exactly one replica per key.
	Claim func(ctx context.Context, scope, key string, at time.Time, window time.Duration) (bool, error)
	// Unclaim is DB.Unclaim: a run the pipeline refused (overloaded, stopping) is given back, so
	// this or another replica runs it on a later tick while it is still on time.
	Unclaim func(ctx context.Context, scope, key string) error
	// Handle is the pipeline; it returns a refusal when it did not take the request.
	Handle opsgate.RequestHandler
	// Open reaches a channel; nil or failing, the output is only logged (the command log has the run).
	Open   func(ctx context.Context, platform, channel string) (opsgate.Dispatcher, error)
	Now    func() time.Time
	Logger *slog.Logger
	// Grace is how late a planned run may be noticed and still count as on time (default 2m):
	// later than that it was missed, and the schedule's missed-run policy decides.
	Grace time.Duration
}

// Tick runs every schedule's due run, at most one per schedule: when several planned times
// passed (downtime), only the latest counts, and only if on time or the policy is run_once.
func (r *Runner) Tick(ctx context.Context) {
	scs, err := r.Store.FindSchedules(ctx)
	if err != nil {
		r.Logger.Warn("schedules: cannot read", "err", err)
		return
	}
	now := r.Now()
	grace := r.Grace
	if grace <= 0 {
		grace = 2 * time.Minute
	}
	for _, sc := range scs {
		loc, err := time.LoadLocation(sc.TimeZone)
		if err != nil {
			continue
		}
		spec, err := parser.Parse(sc.Cron)
		if err != nil {
			continue
		}
		from := sc.CreatedAt
		if sc.LastPlanned != nil {
			from = *sc.LastPlanned
		}
		var latest time.Time
		for t, n := spec.Next(from.In(loc)), 0; !t.IsZero() && !t.After(now) && n < 100000; t, n = spec.Next(t), n+1 {
			latest = t
		}
		if latest.IsZero() {
			continue
		}
		missed := now.Sub(latest) > grace
		run := !missed || sc.Missed == opsgate.MissedRunOnce
		key := fmt.Sprintf("%d@%d", sc.ID, latest.Unix())
		if run {
			ok, err := r.Claim(ctx, ClaimScope, key, now, 31*24*time.Hour)
			if err != nil {
				r.Logger.Warn("schedules: claim failed", "schedule", sc.ID, "err", err)
				continue // try again next tick
			}
			if ok && !r.run(ctx, sc, latest, missed) {
				if r.Unclaim != nil {
					if err := r.Unclaim(ctx, ClaimScope, key); err != nil {
						r.Logger.Warn("schedules: cannot give back a refused run", "schedule", sc.ID, "err", err)
					}
				}
				continue // not recorded as run: the next tick tries again
			}
		} else {
			r.Logger.Info("schedules: missed run skipped", "schedule", sc.ID, "planned", latest)
		}
		if err := r.Store.MarkPlanned(ctx, sc.ID, latest); err != nil {
			r.Logger.Warn("schedules: cannot record the run", "schedule", sc.ID, "err", err)
		}
	}
}

// run hands the planned run to the pipeline and reports whether it was taken.
func (r *Runner) run(ctx context.Context, sc *opsgate.Schedule, planned time.Time, late bool) bool {
	r.Logger.Info("schedules: running", "schedule", sc.ID, "planned", planned, "late", late)
	req := &opsgate.Request{Platform: sc.Platform, OrgID: sc.OrgID, ChannelID: sc.ChannelID, UserID: sc.UserID, UserName: sc.UserID,
		Text: sc.Text, Schedule: sc.ID}
	var out opsgate.Dispatcher = logged{r.Logger, sc.ID}
	if r.Open != nil {
		if d, err := r.Open(ctx, sc.Platform, sc.ChannelID); err == nil && d != nil {
			out = d
		}
	}
	if refusal := r.Handle(ctx, req, out); refusal != "" {
		r.Logger.Warn("schedules: run refused, retrying", "schedule", sc.ID, "planned", planned, "refusal", refusal)
		return false
	}
	return true
}

// Run ticks every interval until ctx ends.
func (r *Runner) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		r.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// logged is where output goes when the platform cannot be reached from here.
type logged struct {
	l  *slog.Logger
	id int64
}

func (d logged) Send(_ context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	var parts []string
	for _, b := range m.Blocks {
		if t, ok := b.(opsgate.Text); ok {
			parts = append(parts, t.Markdown)
		}
	}
	d.l.Info("schedules: output (no chat connection for this platform here)", "schedule", d.id, "text", strings.Join(parts, "\n"))
	return "", nil
}
func (logged) Delete(context.Context, opsgate.MessageRef) error { return nil }
func (logged) Busy(context.Context) error                       { return nil }
