package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Column types per dialect, substituted for the placeholders in migration files.
var columnTypes = map[string]*strings.Replacer{
	SQLite:   strings.NewReplacer("{{ID}}", "INTEGER PRIMARY KEY AUTOINCREMENT", "{{TEXT}}", "TEXT", "{{STR}}", "VARCHAR(255)", "{{TIME}}", "BIGINT", "{{BOOL}}", "BOOLEAN"),
	Postgres: strings.NewReplacer("{{ID}}", "BIGSERIAL PRIMARY KEY", "{{TEXT}}", "TEXT", "{{STR}}", "VARCHAR(255)", "{{TIME}}", "BIGINT", "{{BOOL}}", "BOOLEAN"),
	MySQL:    strings.NewReplacer("{{ID}}", "BIGINT AUTO_INCREMENT PRIMARY KEY", "{{TEXT}}", "MEDIUMTEXT", "{{STR}}", "VARCHAR(255)", "{{TIME}}", "BIGINT", "{{BOOL}}", "BOOLEAN"),
}

// migrationHooks run after a migration's SQL, in its transaction: changes one SQL text cannot
// make alike on every dialect (rewriting JSON documents).
var migrationHooks = map[string]func(ctx context.Context, tx *sql.Tx, db *DB) error{
	"0006_token_prefix":          shortenAuditedTokenPrefixes,
	"0013_command_log_unindexed": dropCommandLogStarted,
}

// Migrate applies the embedded migrations not yet recorded in schema_migrations, in name order.
// Replicas starting together serialise on a database lock.
func (db *DB) Migrate(ctx context.Context) error {
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	unlock, err := db.lock(ctx, conn)
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer unlock()

	if _, err := conn.ExecContext(ctx, columnTypes[db.Dialect].Replace(
		`CREATE TABLE IF NOT EXISTS schema_migrations (version {{STR}} PRIMARY KEY, applied_at {{TIME}} NOT NULL)`)); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := map[string]bool{}
	rows, err := conn.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()

	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		if applied[version] {
			continue
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return err
		}
		if err := db.apply(ctx, conn, version, string(body)); err != nil {
			return opsgate.Errorf(opsgate.EINTERNAL, "Migration %s failed: %v", version, err)
		}
	}
	return nil
}

func (db *DB) apply(ctx context.Context, conn *sql.Conn, version, body string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	record := func() error {
		_, err := tx.ExecContext(ctx, db.Rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`),
			version, Time(time.Now()))
		return err
	}
	if db.Dialect == SQLite {
		// SQLite has no advisory lock: another process may be migrating the same file. Writing the
		// version first takes the database's write lock (waiting busy_timeout for the other
		// process) before anything is read, and finding it already recorded means that process
		// applied this migration. (Not on MySQL, where the DDL below commits implicitly.)
		if err := record(); err != nil {
			if IsUniqueViolation(err) {
				return nil
			}
			return err
		}
	}
	for _, stmt := range splitStatements(columnTypes[db.Dialect].Replace(body)) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%w in: %s", err, stmt)
		}
	}
	if hook := migrationHooks[version]; hook != nil {
		if err := hook(ctx, tx, db); err != nil {
			return fmt.Errorf("%w in the step after the SQL", err)
		}
	}
	if db.Dialect != SQLite {
		if err := record(); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// splitStatements splits a migration on semicolons at line ends, dropping "--" comment lines.
func splitStatements(body string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

func (db *DB) lock(ctx context.Context, conn *sql.Conn) (func(), error) {
	switch db.Dialect {
	case Postgres:
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7214630)`); err != nil {
			return nil, err
		}
		return func() { conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(7214630)`) }, nil
	case MySQL:
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK('opsgate_migrate', 60)`).Scan(&got); err != nil {
			return nil, err
		}
		if got.Int64 != 1 {
			return nil, fmt.Errorf("timed out waiting for another replica's migration")
		}
		return func() { conn.ExecContext(context.Background(), `SELECT RELEASE_LOCK('opsgate_migrate')`) }, nil
	}
	return func() {}, nil
}
