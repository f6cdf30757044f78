//go:build !unix

package store

import (
	"errors"
	"os"
)

// Without flock the lock cannot be had: serve then shares the database as replicas do.
func tryLock(*os.File) error { return errors.ErrUnsupported }

func unlock(*os.File) {}
