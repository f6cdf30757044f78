package opsgate

import (
	"context"
	"strings"
	"time"
)

// What a schedule does about runs it missed while no replica was running.
const (
	MissedSkip    = "skip"     // missed runs are dropped; the next planned time runs as usual
	MissedRunOnce = "run_once" // the latest missed run runs once, as soon as a replica is up
)

// Schedule runs Text through the pipeline at the times Cron (five fields, in TimeZone) names,
// as user UserID in channel ChannelID of OrgID on Platform: grants apply at run time.
type Schedule struct {
	ID        int64     `json:"id,omitempty"`
	Cron      string    `json:"cron"`
	TimeZone  string    `json:"time_zone"`
	Platform  string    `json:"platform"`
	OrgID     string    `json:"org_id"`
	ChannelID string    `json:"channel_id"`
	UserID    string    `json:"user_id"`
	Text      string    `json:"text"`
	Missed    string    `json:"missed"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	// LastPlanned is the latest planned time already handled (run or skipped), nil before the first.
	LastPlanned *time.Time `json:"last_planned,omitempty"`
}

// Normalize applies the defaults every way of creating a schedule shares.
func (s *Schedule) Normalize() {
	s.Cron = strings.Join(strings.Fields(s.Cron), " ")
	s.Platform = strings.ToLower(strings.TrimSpace(s.Platform))
	s.Text = strings.TrimSpace(s.Text)
	if s.TimeZone == "" {
		s.TimeZone = "UTC"
	}
	if s.Missed == "" {
		s.Missed = MissedSkip
	}
}

// Validate returns EINVALID naming the first problem with s (the cron expression is checked where
// it is parsed, by the scheduler's parser).
func (s *Schedule) Validate() error {
	switch {
	case s.Cron == "":
		return Errorf(EINVALID, "Schedule needs a cron expression like \"0 9 * * 1-5\".")
	case s.Platform == "" || s.ChannelID == "" || s.UserID == "":
		return Errorf(EINVALID, "Schedule needs a platform, a channel and the user it runs as.")
	case s.Text == "":
		return Errorf(EINVALID, "Schedule needs the command text to run.")
	case s.Missed != MissedSkip && s.Missed != MissedRunOnce:
		return Errorf(EINVALID, "Missed-run policy %q is not skip or run_once.", s.Missed)
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil {
		return Errorf(EINVALID, "Time zone %q is not an IANA zone like Europe/Paris.", s.TimeZone)
	}
	for _, f := range []struct{ name, v string }{{"platform", s.Platform}, {"organization", s.OrgID}, {"channel", s.ChannelID}, {"user", s.UserID}, {"cron", s.Cron}} {
		if err := ValidateText("Schedule "+f.name, f.v); err != nil {
			return err
		}
	}
	return ValidateText("Schedule text", s.Text)
}

// ScheduleService stores schedules; changes are audited (object "schedule").
type ScheduleService interface {
	FindSchedules(ctx context.Context) ([]*Schedule, error)
	// CreateSchedule stores s; EINVALID for a bad one.
	CreateSchedule(ctx context.Context, s *Schedule) error
	// DeleteSchedule removes a schedule; ENOTFOUND if it does not exist.
	DeleteSchedule(ctx context.Context, id int64) error
	// MarkPlanned records that the run planned at t was handled; it never moves LastPlanned back.
	MarkPlanned(ctx context.Context, id int64, t time.Time) error
}
