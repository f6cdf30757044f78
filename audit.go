package opsgate

import (
	"context"
	"time"
)

// AuditEntry records one change to configuration held in the database.
// Before and After are JSON documents of the object ("" when it did not exist).
type AuditEntry struct {
	ID       int64     `json:"id"`
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"` // "create", "update", "delete"
	Object   string    `json:"object"` // "grant", "token", "secret", ...
	ObjectID string    `json:"object_id"`
	Before   string    `json:"before,omitempty"`
	After    string    `json:"after,omitempty"`
}

// AuditService reads the audit log. Entries are written by the services that change things,
// in the same transaction as the change.
type AuditService interface {
	// FindAuditEntries returns entries newest first, at most limit (0: 100).
	FindAuditEntries(ctx context.Context, object string, limit int) ([]*AuditEntry, error)
	// LastAuditID returns a cheap change counter replicas poll: it differs after any entry commits,
	// even one numbered below the newest (callers compare it, never read it as an id).
	LastAuditID(ctx context.Context) (int64, error)
}
