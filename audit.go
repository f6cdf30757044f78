package opsgate

import (
	"context"
	"encoding/json"
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

// auditJSON is AuditEntry's JSON form: Before and After as the objects they hold.
type auditJSON struct {
	ID       int64           `json:"id"`
	Time     time.Time       `json:"time"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Object   string          `json:"object"`
	ObjectID string          `json:"object_id"`
	Before   json.RawMessage `json:"before,omitempty"`
	After    json.RawMessage `json:"after,omitempty"`
}

// MarshalJSON writes Before and After as JSON objects, not strings holding JSON, so that programs
// reading `log audit --json` or the API can use them directly.
func (e AuditEntry) MarshalJSON() ([]byte, error) {
	return json.Marshal(auditJSON{e.ID, e.Time, e.Actor, e.Action, e.Object, e.ObjectID, rawJSON(e.Before), rawJSON(e.After)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *AuditEntry) UnmarshalJSON(b []byte) error {
	var a auditJSON
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*e = AuditEntry{a.ID, a.Time, a.Actor, a.Action, a.Object, a.ObjectID, string(a.Before), string(a.After)}
	return nil
}

// rawJSON passes a stored document through; anything not JSON (never written, but kept readable)
// becomes a JSON string.
func rawJSON(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
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
