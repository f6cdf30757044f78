package store

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opsgate/opsgate"
)

// connectFailure is the error for a database that could not be reached: EINVALID when the driver
// refused the DSN itself (bad input), EINTERNAL otherwise.
func connectFailure(dsn string, err error) error {
	if pce := (*pgconn.ParseConfigError)(nil); errors.As(err, &pce) {
		return opsgate.Errorf(opsgate.EINVALID, "Database DSN %s is not valid: %s.", RedactDSN(dsn), unparsable(pce))
	}
	return opsgate.Errorf(opsgate.EINTERNAL, "Cannot reach database %s: %s", RedactDSN(dsn), connectError(err))
}

// connectError words a failed connection for people. pgx reports every attempt (each address,
// and with sslmode=prefer TLS then plain text), so the same refusal came twice, wrapped in the
// driver's own prefix; the server's refusal is said once, anything else once per distinct line.
func connectError(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fmt.Sprintf("the server refused: %s (SQLSTATE %s)", pe.Message, pe.Code)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		err = ce.Unwrap()
	}
	var parts []string
	seen := map[string]bool{}
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" && !seen[l] && !(len(parts) > 0 && strings.HasSuffix(parts[len(parts)-1], l)) {
			seen[l] = true
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// unparsable is the driver's reason for refusing a DSN, without the DSN itself (the caller shows
// it, password masked) and without the Go parser's error in brackets.
func unparsable(pce *pgconn.ParseConfigError) string {
	msg := pce.Error()
	if i := strings.Index(msg, "`: "); strings.HasPrefix(msg, "cannot parse `") && i > 0 {
		msg = msg[i+3:]
	}
	if inner := errors.Unwrap(pce); inner != nil {
		msg = strings.TrimSuffix(msg, " ("+inner.Error()+")")
	}
	return msg
}
