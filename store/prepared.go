package store

import (
	"context"
	"database/sql"
)

// execHot runs query (already rebound) in ex (the pool or a transaction) from a statement
// prepared once; call prepare(query) outside the transaction first (SQLite has one connection,
// which the transaction holds). For the statements every command runs (claims, the command log): SQLite
// otherwise parses and plans the SQL anew each time, a tenth of the path's CPU under load.
// Other databases cache prepared statements in their drivers already.
func (db *DB) execHot(ctx context.Context, ex execer, query string, args ...any) (sql.Result, error) {
	st := db.hot(ctx, ex, query)
	if st == nil {
		return ex.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// queryHot is execHot for statements that return rows (INSERT ... RETURNING).
func (db *DB) queryHot(ctx context.Context, ex execer, query string, args ...any) (*sql.Rows, error) {
	st := db.hot(ctx, ex, query)
	if st == nil {
		return ex.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// hot returns query's prepared statement for ex, or nil if it has none.
func (db *DB) hot(ctx context.Context, ex execer, query string) *sql.Stmt {
	if db.Dialect != SQLite {
		return nil
	}
	v, ok := db.stmts.Load(query)
	if !ok {
		return nil
	}
	if tx, ok := ex.(*sql.Tx); ok {
		return tx.StmtContext(ctx, v.(*sql.Stmt))
	}
	return v.(*sql.Stmt)
}

// prepare prepares (SQLite) the queries for execHot, once, and reports whether all are; it must not be
// called inside a transaction. A query that fails to prepare is left to execHot's plain path,
// which reports the error.
func (db *DB) prepare(ctx context.Context, queries ...string) bool {
	all := true
	for _, q := range queries {
		if _, ok := db.stmts.Load(q); ok {
			continue
		}
		st, err := db.SQL.PrepareContext(ctx, q)
		if err != nil {
			all = false
			continue
		}
		if _, loaded := db.stmts.LoadOrStore(q, st); loaded {
			st.Close()
		}
	}
	return all
}

// execer is the pool or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
