// Package store keeps opsgate's state in SQLite (embedded default), PostgreSQL or MySQL/MariaDB,
// with one schema and one set of queries for all three.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/opsgate/opsgate"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
	MySQL    = "mysql"
)

// DB is an open, migrated database.
type DB struct {
	SQL     *sql.DB
	Dialect string
	// Now is the clock used for created/changed times.
	Now func() time.Time
	// Redactor, when set, scrubs secret values from audit records.
	Redactor opsgate.Redactor

	purges  sync.Map   // claim scope → *atomic.Int64: unix nanoseconds of its last purge
	purging sync.Mutex // held by the purge running

	checkpoints *checkpointer // SQLite: copies the WAL into the file off the writer's path

	writes        groupQueue   // claims and command-log entries waiting for a shared commit
	stmts         sync.Map     // query → *sql.Stmt (execHot)
	claimsSQL     rowsSQL      // multi-row claim INSERTs
	commandLogSQL rowsSQL      // multi-row command-log INSERTs
	batchPrepared atomic.Int32 // SQLite: the statements of batches of up to this many writes are prepared
	mysql         atomic.Int32 // what a MySQL-dialect server can do, once asked (mysqlServer)
	audited       sync.Map     // *sql.Tx that called Audit, until they end
	onAudit       atomic.Pointer[func()]
}

// OnAudit sets f to be called after each transaction that wrote the audit log commits (grants,
// groups, tokens ... changed): cmd/opsgate tells the other replicas through NATS.
func (db *DB) OnAudit(f func()) { db.onAudit.Store(&f) }

// Open connects to dsn (sqlite://PATH, postgres://..., mysql://user:pass@host:port/db), checks the
// connection and runs pending migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db, err := Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Connect opens and pings the database without migrating it.
func Connect(ctx context.Context, dsn string) (*DB, error) {
	driver, source, dialect, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	sdb, err := sql.Open(driver, source)
	if err != nil {
		return nil, opsgate.Errorf(opsgate.EINVALID, "Cannot open database %s: %v", RedactDSN(dsn), err)
	}
	if dialect == SQLite {
		// One writer at a time is all SQLite allows; more connections only produce SQLITE_BUSY.
		sdb.SetMaxOpenConns(1)
	} else {
		sdb.SetMaxOpenConns(20)
		sdb.SetConnMaxIdleTime(5 * time.Minute)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err = sdb.PingContext(pctx)
	// Opening SQLite switches it to WAL, which fails at once (no busy wait) while another
	// process is opening or migrating the same file: wait for it.
	for dialect == SQLite && err != nil && strings.Contains(err.Error(), "SQLITE_BUSY") && pctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
		err = sdb.PingContext(pctx)
	}
	if err != nil {
		sdb.Close()
		return nil, connectFailure(dsn, err)
	}
	db := &DB{SQL: sdb, Dialect: dialect, Now: time.Now}
	if dialect == SQLite {
		if db.checkpoints, err = startCheckpointer(source); err != nil {
			sdb.Close()
			return nil, connectFailure(dsn, err)
		}
	}
	return db, nil
}

// Close closes the connection pool.
func (db *DB) Close() error {
	err := db.SQL.Close()
	if db.checkpoints != nil {
		db.checkpoints.close()
	}
	return err
}

// Ping checks the database answers (for /readyz).
func (db *DB) Ping(ctx context.Context) error { return db.SQL.PingContext(ctx) }

func parseDSN(dsn string) (driver, source, dialect string, err error) {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return "", "", "", opsgate.Errorf(opsgate.EINVALID, "Database DSN %q must start with sqlite://, postgres:// or mysql://.", RedactDSN(dsn))
	}
	switch scheme {
	case "sqlite", "sqlite3", "file":
		path, query, _ := strings.Cut(rest, "?")
		if path == "" {
			return "", "", "", opsgate.Errorf(opsgate.EINVALID, "Database DSN sqlite:// needs a file path, e.g. sqlite://opsgate.db.")
		}
		q, _ := url.ParseQuery(query)
		// temp_store(MEMORY): a multi-row INSERT in a transaction (the group commit's) keeps the
		// pages it changes in a statement journal, to undo itself alone; in a temporary file,
		// writing it cost more than the statement saved.
		for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)", "temp_store(MEMORY)", "wal_autocheckpoint(" + strconv.Itoa(walPages) + ")"} {
			q.Add("_pragma", p)
		}
		return "sqlite", "file:" + path + "?" + q.Encode(), SQLite, nil
	case "postgres", "postgresql":
		return "pgx", dsn, Postgres, nil
	case "mysql", "mariadb":
		u, err := url.Parse("mysql://" + rest)
		if err != nil {
			return "", "", "", opsgate.Errorf(opsgate.EINVALID, "Database DSN is not a valid URL: %v", err)
		}
		cfg := mysql.NewConfig()
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.Net, cfg.Addr = "tcp", u.Host
		if u.Port() == "" {
			cfg.Addr = u.Host + ":3306"
		}
		cfg.DBName = strings.TrimPrefix(u.Path, "/")
		cfg.Params = map[string]string{}
		for k, v := range u.Query() {
			cfg.Params[k] = v[0]
		}
		cfg.Params["charset"] = "utf8mb4"
		return "mysql", cfg.FormatDSN(), MySQL, nil
	}
	return "", "", "", opsgate.Errorf(opsgate.EINVALID, "Database scheme %q is not supported: use sqlite://, postgres:// or mysql://.", scheme)
}

// RedactDSN hides the password in a DSN for messages and logs.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Rebind turns ? placeholders into $1, $2, ... for PostgreSQL.
func (db *DB) Rebind(q string) string {
	if db.Dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Tx runs fn in one transaction: committed when fn returns nil, rolled back otherwise.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		db.audited.Delete(tx)
		tx.Rollback()
		return err
	}
	_, audited := db.audited.LoadAndDelete(tx)
	if err := tx.Commit(); err != nil {
		return err
	}
	if f := db.onAudit.Load(); audited && f != nil {
		(*f)()
	}
	return nil
}

// Insert runs an INSERT (with ? placeholders) in tx and returns the new row's id.
func (db *DB) Insert(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	if db.Dialect == Postgres {
		var id int64
		err := tx.QueryRowContext(ctx, db.Rebind(query)+" RETURNING id", args...).Scan(&id)
		return id, err
	}
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// IsUniqueViolation reports whether err is a unique-constraint failure on any of the three databases.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	s := err.Error()
	return strings.Contains(s, "SQLSTATE 23505") || strings.Contains(s, "UNIQUE constraint failed") ||
		strings.Contains(s, "constraint failed: UNIQUE")
}

// Time and NullTime convert between time.Time and the unix microseconds stored in {{TIME}} columns.
func Time(t time.Time) int64 { return t.UnixMicro() }

// FromTime converts stored unix microseconds back to UTC time.
func FromTime(us int64) time.Time { return time.UnixMicro(us).UTC() }

// SQLiteFile returns the file a sqlite:// DSN names, and false for other databases.
func SQLiteFile(dsn string) (string, bool) {
	driver, source, _, err := parseDSN(dsn)
	if err != nil || driver != "sqlite" {
		return "", false
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(source, "file:"), "?")
	return path, true
}
