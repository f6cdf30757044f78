package kittest

import (
	"context"
	"slices"

	"github.com/opsgate/opsgate"
)

// CommandLog is a command log in memory (an opsgate.CommandLogService), for tests of what the
// pipeline and the queue record.
type CommandLog struct {
	Log[*opsgate.CommandLogEntry]
}

// CreateCommandLogEntry records e.
func (l *CommandLog) CreateCommandLogEntry(_ context.Context, e *opsgate.CommandLogEntry) error {
	l.Add(e)
	return nil
}

// FindCommandLogEntries returns up to limit entries (100 when 0), newest first, as the store does.
func (l *CommandLog) FindCommandLogEntries(_ context.Context, limit int) ([]*opsgate.CommandLogEntry, error) {
	all := l.All()
	slices.Reverse(all)
	if limit <= 0 {
		limit = 100
	}
	return all[:min(limit, len(all))], nil
}

// Last returns the newest entry, nil when there is none.
func (l *CommandLog) Last() *opsgate.CommandLogEntry {
	all := l.All()
	if len(all) == 0 {
		return nil
	}
	return all[len(all)-1]
}
