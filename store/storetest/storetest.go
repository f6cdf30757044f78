// Package storetest opens isolated, migrated test databases: SQLite always, PostgreSQL and
// MySQL/MariaDB when reachable (and required when CI=true).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/opsgate/opsgate/store"
)

// Default server DSNs; OPSGATE_TEST_POSTGRES and OPSGATE_TEST_MYSQL override them.
const (
	DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	DefaultMySQL    = "mysql://root@127.0.0.1:3306/test"
)

// Each runs fn as a subtest against a fresh database of every dialect.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, d := range []string{store.SQLite, store.Postgres, store.MySQL} {
		t.Run(d, func(t *testing.T) { fn(t, Open(t, d)) })
	}
}

// Open returns a fresh, migrated database of dialect, removed when the test ends. An unreachable
// server skips the test, or fails it when CI=true.
func Open(t testing.TB, dialect string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), DSN(t, dialect))
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DSN returns the DSN of a fresh, empty database of dialect, removed when the test ends.
func DSN(t testing.TB, dialect string) string {
	t.Helper()
	name := "t_" + randomName()
	var dsn string
	switch dialect {
	case store.SQLite:
		dsn = "sqlite://" + t.TempDir() + "/opsgate.db"
	case store.Postgres:
		admin := env("OPSGATE_TEST_POSTGRES", DefaultPostgres)
		exec(t, "pgx", admin, "CREATE SCHEMA "+name, "DROP SCHEMA "+name+" CASCADE")
		dsn = admin + sep(admin) + "search_path=" + name
	case store.MySQL:
		admin := env("OPSGATE_TEST_MYSQL", DefaultMySQL)
		exec(t, "mysql", mysqlDriverDSN(admin), "CREATE DATABASE "+name, "DROP DATABASE "+name)
		dsn = strings.Replace(admin, "/test", "/"+name, 1)
	}
	return dsn
}

func exec(t testing.TB, driver, dsn, create, drop string) {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err == nil {
		err = db.Ping()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required when CI=true but unreachable: %v", driver, err)
		}
		t.Skipf("skipping: %s unreachable (%v); set CI=true to require it", driver, err)
	}
	if _, err := db.Exec(create); err != nil {
		t.Fatalf("%s: %v", create, err)
	}
	t.Cleanup(func() {
		db.Exec(drop)
		db.Close()
	})
}

func mysqlDriverDSN(u string) string {
	// mysql://root@127.0.0.1:3306/test -> root@tcp(127.0.0.1:3306)/test
	rest := strings.TrimPrefix(u, "mysql://")
	userinfo, hostpath, _ := strings.Cut(rest, "@")
	host, path, _ := strings.Cut(hostpath, "/")
	return userinfo + "@tcp(" + host + ")/" + path
}

func sep(dsn string) string {
	if strings.Contains(dsn, "?") {
		return "&"
	}
	return "?"
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func randomName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
