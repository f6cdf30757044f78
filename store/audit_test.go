package store_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// Replicas reload grants and aliases when LastAuditID moves. On PostgreSQL and MySQL ids are
// handed out at insert, not at commit: a change whose transaction commits after a later-numbered
// one must still move the value, or every other replica keeps, say, a revoked grant until the
// next unrelated change.
func TestLastAuditIDMovesOnLateCommit(t *testing.T) {
	for _, d := range []string{store.Postgres, store.MySQL} { // SQLite has one writer: commits are in id order
		t.Run(d, func(t *testing.T) {
			db := storetest.Open(t, d)
			ctx := context.Background()
			audit := store.NewAuditService(db)
			slow, err := db.SQL.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer slow.Rollback()
			if err := db.Audit(ctx, slow, "delete", "grant", "1", map[string]string{"id": "1"}, nil); err != nil {
				t.Fatal(err)
			}
			if err := db.Tx(ctx, func(tx *sql.Tx) error {
				return db.Audit(ctx, tx, "create", "grant", "2", nil, map[string]string{"id": "2"})
			}); err != nil {
				t.Fatal(err)
			}
			seen, err := audit.LastAuditID(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := slow.Commit(); err != nil {
				t.Fatal(err)
			}
			if now, err := audit.LastAuditID(ctx); err != nil || now == seen {
				t.Fatalf("LastAuditID stayed %d after an earlier-numbered change committed (%v)", now, err)
			}
		})
	}
}
