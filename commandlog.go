package opsgate

import (
	"context"
	"encoding/json"
	"time"
)

// Command run statuses.
const (
	StatusSucceeded = "succeeded"
	StatusBlocked   = "blocked"
	StatusFailed    = "failed"
	StatusErrored   = "errored"
)

// CommandLogEntry records one command run (or refusal).
type CommandLogEntry struct {
	ID          int64             `json:"id"`
	Start       time.Time         `json:"start"`
	Runtime     time.Duration     `json:"-"` // runtime_seconds in JSON
	Platform    string            `json:"platform"`
	OrgID       string            `json:"org_id"`
	ChannelID   string            `json:"channel_id"`
	ChannelName string            `json:"channel_name"`
	UserID      string            `json:"user_id"`
	UserName    string            `json:"user_name"`
	Command     string            `json:"command"`
	Subcommand  string            `json:"subcommand"`
	Params      map[string]string `json:"params"`
	Status      string            `json:"status"`
	Details     string            `json:"details"`
}

// MarshalJSON writes Runtime as runtime_seconds: a bare time.Duration would be nanoseconds with
// no unit in sight.
func (e CommandLogEntry) MarshalJSON() ([]byte, error) {
	type plain CommandLogEntry // without this method
	return json.Marshal(struct {
		plain
		RuntimeSeconds float64 `json:"runtime_seconds"`
	}{plain(e), e.Runtime.Seconds()})
}

// CommandLogService stores the command log.
type CommandLogService interface {
	// CreateCommandLogEntry stores e and sets its ID.
	CreateCommandLogEntry(ctx context.Context, e *CommandLogEntry) error
	// FindCommandLogEntries returns entries newest first, at most limit (0: 100).
	FindCommandLogEntries(ctx context.Context, limit int) ([]*CommandLogEntry, error)
}
