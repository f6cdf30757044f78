package store

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/opsgate/opsgate"
)

var _ opsgate.ScheduleService = (*ScheduleService)(nil)

// ScheduleService stores scheduled commands.
type ScheduleService struct {
	db *DB
	// Check validates a schedule beyond its fields (the cron expression, by the scheduler's parser).
	Check func(s *opsgate.Schedule) error
}

// NewScheduleService returns the schedule store for db.
func NewScheduleService(db *DB) *ScheduleService { return &ScheduleService{db: db} }

// FindSchedules returns every schedule, ordered by id.
func (s *ScheduleService) FindSchedules(ctx context.Context) ([]*opsgate.Schedule, error) {
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT id, cron, time_zone, platform, org_id, channel_id, user_id, text, missed, created_at, last_planned FROM schedules ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*opsgate.Schedule
	for rows.Next() {
		var sc opsgate.Schedule
		var created int64
		var last sql.NullInt64
		if err := rows.Scan(&sc.ID, &sc.Cron, &sc.TimeZone, &sc.Platform, &sc.OrgID, &sc.ChannelID, &sc.UserID, &sc.Text, &sc.Missed, &created, &last); err != nil {
			return nil, err
		}
		sc.CreatedAt = FromTime(created)
		if last.Valid {
			t := FromTime(last.Int64)
			sc.LastPlanned = &t
		}
		out = append(out, &sc)
	}
	return out, rows.Err()
}

// CreateSchedule validates and stores sc.
func (s *ScheduleService) CreateSchedule(ctx context.Context, sc *opsgate.Schedule) error {
	sc.Normalize()
	if err := sc.Validate(); err != nil {
		return err
	}
	if s.Check != nil {
		if err := s.Check(sc); err != nil {
			return err
		}
	}
	sc.CreatedAt, sc.LastPlanned = s.db.Now().UTC().Truncate(time.Microsecond), nil
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		id, err := s.db.Insert(ctx, tx, `INSERT INTO schedules (cron, time_zone, platform, org_id, channel_id, user_id, text, missed, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, sc.Cron, sc.TimeZone, sc.Platform, sc.OrgID, sc.ChannelID, sc.UserID, sc.Text, sc.Missed, Time(sc.CreatedAt))
		if err != nil {
			return err
		}
		sc.ID = id
		return s.db.Audit(ctx, tx, "create", "schedule", strconv.FormatInt(id, 10), nil, sc)
	})
}

// DeleteSchedule removes a schedule.
func (s *ScheduleService) DeleteSchedule(ctx context.Context, id int64) error {
	all, err := s.FindSchedules(ctx)
	if err != nil {
		return err
	}
	for _, sc := range all {
		if sc.ID == id {
			return s.db.Tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM schedules WHERE id = ?`), id); err != nil {
					return err
				}
				return s.db.Audit(ctx, tx, "delete", "schedule", strconv.FormatInt(id, 10), sc, nil)
			})
		}
	}
	return opsgate.Errorf(opsgate.ENOTFOUND, "Schedule %d does not exist.", id)
}

// MarkPlanned moves last_planned forward to t (never back). Not audited: it is bookkeeping, and
// an audit row per run would make every replica reload its grants.
func (s *ScheduleService) MarkPlanned(ctx context.Context, id int64, t time.Time) error {
	_, err := s.db.SQL.ExecContext(ctx, s.db.Rebind(`UPDATE schedules SET last_planned = ? WHERE id = ? AND (last_planned IS NULL OR last_planned < ?)`),
		Time(t), id, Time(t))
	return err
}
