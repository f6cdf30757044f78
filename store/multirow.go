package store

import (
	"context"
	"math/bits"
	"strconv"
	"strings"
	"sync"
)

// The group commit writes the claims, and the command-log entries, of a batch with one INSERT
// per chunk of rows rather than one per row. On PostgreSQL and MySQL a statement is a round trip
// (MySQL's driver: three) and a parse, plan and execution on the server, most of what a row cost
// on either side. SQLite gains less: there a row's B-tree and WAL pages cost most.

// maxRows bounds the rows of one INSERT (a power of two). The command log's 256 rows of 14
// values are 3,584 bind parameters, far below SQLite's 32,766 and PostgreSQL's and MySQL's 65,535.
const maxRows = 1 << 8

// maxInsertBytes bounds the text one INSERT carries (a larger row goes alone): MySQL refuses
// packets above max_allowed_packet, 4 MiB by default before 8.0.
const maxInsertBytes = 1 << 20

// chunkRows returns how many of n rows the next INSERT takes: the largest power of two that
// fits maxRows and, with size (nil: small rows) giving a row's bytes, maxInsertBytes. Powers of
// two keep the statements few (nine texts for any batch), so each is prepared once: SQLite
// takes longer to parse a 256-row INSERT (4 ms) than to run it.
func chunkRows(n int, size func(i int) int) int {
	k := 1 << (bits.Len(uint(min(n, maxRows))) - 1)
	for size != nil && k > 1 {
		total := 0
		for i := range k {
			total += size(i)
		}
		if total <= maxInsertBytes {
			break
		}
		k /= 2
	}
	return k
}

// rowsSQL holds an INSERT's text for each power-of-two number of rows up to maxRows.
type rowsSQL struct {
	once sync.Once
	sql  [9]string // 1<<i rows at i, up to maxRows
}

// get returns the text for k rows (a power of two), built on first use from head, the tuple
// row ("(?, ?)"), and tail.
func (r *rowsSQL) get(db *DB, k int, head, row, tail string) string {
	r.once.Do(func() {
		for i := range r.sql {
			r.sql[i] = db.Rebind(head + " VALUES " + strings.Repeat(row+", ", (1<<i)-1) + row + tail)
		}
	})
	return r.sql[bits.TrailingZeros(uint(k))]
}

// prepareBatch prepares (SQLite) the statements a batch of n writes may run, the INSERTs of
// every size among them; the leader calls it before its transaction, which holds SQLite's only
// connection.
func (db *DB) prepareBatch(ctx context.Context, n int) {
	if db.Dialect != SQLite || n <= int(db.batchPrepared.Load()) {
		return
	}
	qs := []string{db.claimInsert(), db.claimUpdate(), db.claimsInsert(1), insertCommandLog}
	for k := 2; k <= min(n, maxRows); k *= 2 {
		qs = append(qs, db.claimsInsert(k), db.commandLogInsert(k))
	}
	if db.prepare(ctx, qs...) {
		db.batchPrepared.Store(int32(min(n, maxRows)))
	}
}

// returning reports whether the database has INSERT ... RETURNING: SQLite (3.35 on), PostgreSQL
// and MariaDB (10.5 on) have, MySQL has not.
func (db *DB) returning(ctx context.Context, ex execer) bool {
	return db.Dialect != MySQL || db.mysqlServer(ctx, ex)&mysqlReturning != 0
}

// rowIDs reports whether one INSERT of many command-log rows can tell each row its ID: SQLite
// numbers them one after another under its write lock (insertCommandLogRows), PostgreSQL reserves
// them (reserveCommandLogIDs); MariaDB returns them, and numbers the rows
// consecutively in the order of their VALUES with innodb_autoinc_lock_mode 0 or 1 ("consecutive
// lock mode, because multi-row inserts ... receive consecutive auto-increment values", which
// statement-based replication relies on: it replays the statement with its first ID alone).
func (db *DB) rowIDs(ctx context.Context, ex execer) bool {
	return db.Dialect != MySQL || db.mysqlServer(ctx, ex)&(mysqlReturning|mysqlConsecutiveIDs) == mysqlReturning|mysqlConsecutiveIDs
}

// What a MySQL-dialect server can do (DB.mysqlServer).
const (
	mysqlAsked          = 1 << iota
	mysqlReturning      // INSERT ... RETURNING (MariaDB 10.5 on)
	mysqlConsecutiveIDs // innodb_autoinc_lock_mode 0 or 1
)

// mysqlServer asks the server (once, in ex) what it can do.
func (db *DB) mysqlServer(ctx context.Context, ex execer) int32 {
	if v := db.mysql.Load(); v != 0 {
		return v
	}
	var version string
	var lockMode int
	if err := ex.QueryRowContext(ctx, `SELECT VERSION(), @@innodb_autoinc_lock_mode`).Scan(&version, &lockMode); err != nil {
		return mysqlAsked // row by row this time; asked again next batch
	}
	v := int32(mysqlAsked)
	if mariaDBReturning(version) {
		v |= mysqlReturning
	}
	if lockMode <= 1 {
		v |= mysqlConsecutiveIDs
	}
	db.mysql.Store(v)
	return v
}

// mariaDBReturning reports whether the server of VERSION() v is MariaDB 10.5 or later.
func mariaDBReturning(v string) bool {
	if !strings.Contains(v, "MariaDB") {
		return false
	}
	major, rest, _ := strings.Cut(v, ".")
	minor, _, _ := strings.Cut(rest, ".")
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	return err1 == nil && err2 == nil && (ma > 10 || ma == 10 && mi >= 5)
}
