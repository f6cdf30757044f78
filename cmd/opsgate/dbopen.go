package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opsgate/opsgate/store"
)

// needsExistingDB lists the commands that only read (or delete) what is stored: run where the
// SQLite file does not exist, they refuse instead of creating an empty database that then
// answers "denied" or "none". Keyed by command path below the root.
var needsExistingDB = map[string]bool{
	"grant list": true, "grant delete": true, "group list": true, "group delete": true, "group member remove": true,
	"approval list": true, "approval delete": true, "approval requests": true, "schedule list": true, "schedule delete": true, "token list": true, "token delete": true,
	"access check": true, "log commands": true, "log audit": true,
	"alias list": true, "alias delete": true,
	"secret list": true, "secret check": true, "secret delete": true, "secret flush": true,
	"secret group list": true, "secret group set": true, "secret group delete": true,
	"user list": true, "user delete": true, "user passwd": true,
}

// checkDatabaseFile refuses (exit 1: the environment is wrong, not the command line) a SQLite
// DSN whose file does not exist when the running command needs an existing database.
// A file in a directory that does not exist cannot be created either: said in words rather than
// SQLite's "unable to open database file (14)".
func (m *Main) checkDatabaseFile() error {
	path, ok := store.SQLiteFile(m.Config.Database)
	if !ok {
		return nil
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if _, err := os.Stat(filepath.Dir(path)); errors.Is(err, fs.ErrNotExist) {
		return &exitError{code: 1, msg: fmt.Sprintf("database file %s cannot be created: directory %s does not exist", path, filepath.Dir(path))}
	}
	if !m.existingDBOnly {
		return nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return &exitError{code: 1, msg: fmt.Sprintf("database file %s does not exist; give --database (or OPSGATE_DATABASE) "+
			"to use another, or create it with opsgate migrate", path)}
	}
	return nil
}

// sayDatabase tells a --verbose user which database the command opens, password masked.
func (m *Main) sayDatabase() {
	if m.verbose {
		fmt.Fprintf(m.Stderr, "opsgate: database %s\n", store.RedactDSN(m.Config.Database))
	}
}
