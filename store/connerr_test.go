package store_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// pgx tries TLS then plain text (sslmode=prefer, the default) and reports both failures: the
// server's refusal must reach the user once, in one line, without the driver's wrapping.
func TestPostgresRefusalSaidOnce(t *testing.T) {
	admin := storetest.DefaultPostgres
	if v := os.Getenv("OPSGATE_TEST_POSTGRES"); v != "" {
		admin = v
	}
	storetest.DSN(t, store.Postgres) // skips when no server is reachable
	dsn := strings.Replace(strings.Replace(admin, "postgres@", "nobody_opsgate:pw@", 1), "?sslmode=disable", "", 1)
	_, err := store.Connect(context.Background(), dsn)
	msg := opsgate.ErrorMessage(err)
	if strings.Count(msg, `role "nobody_opsgate" does not exist`) != 1 || strings.Contains(msg, "\n") ||
		strings.Contains(msg, "failed to connect to `") || strings.Contains(msg, ":pw@") {
		t.Fatalf("message %q", msg)
	}
}

// A DSN the driver cannot parse is bad input said once, without the DSN repeated in the driver's
// words (with any password) or the Go parser's.
func TestPostgresUnparsableDSN(t *testing.T) {
	_, err := store.Connect(context.Background(), "postgres://u:hunter2@127.0.0.1:5432/db?connect_timeout=abc")
	msg := opsgate.ErrorMessage(err)
	if opsgate.ErrorCode(err) != opsgate.EINVALID || strings.Contains(msg, "strconv") || strings.Contains(msg, "hunter2") ||
		strings.Count(msg, "127.0.0.1") != 1 || !strings.Contains(msg, "invalid connect_timeout") {
		t.Fatalf("%s: %q", opsgate.ErrorCode(err), msg)
	}
}
