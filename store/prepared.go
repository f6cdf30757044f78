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
	if db.Dialect != SQLite {
		return ex.ExecContext(ctx, query, args...)
	}
	v, ok := db.stmts.Load(query)
	if !ok {
		return ex.ExecContext(ctx, query, args...)
	}
	if tx, ok := ex.(*sql.Tx); ok {
		return tx.StmtContext(ctx, v.(*sql.Stmt)).ExecContext(ctx, args...)
	}
	return v.(*sql.Stmt).ExecContext(ctx, args...)
}

// prepare prepares the queries for execHot, once; it must not be called inside a transaction.
// A query that fails to prepare is left to execHot's plain path, which reports the error.
func (db *DB) prepare(ctx context.Context, queries ...string) {
	if db.Dialect != SQLite {
		return
	}
	for _, q := range queries {
		if _, ok := db.stmts.Load(q); ok {
			continue
		}
		st, err := db.SQL.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		if _, loaded := db.stmts.LoadOrStore(q, st); loaded {
			st.Close()
		}
	}
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}
