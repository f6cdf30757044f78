package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
)

// ServeLock is a SQLite database's serve lock: one `opsgate serve` at a time uses the file, so
// that process may decide in memory what would otherwise take a database write on every request
// (replays of signed requests, kit.Replays). It is a lock on the file PATH-lock beside the
// database, which the kernel releases when its process dies, however it dies; the file carries
// what a cleanly stopping holder hands over to the next.
type ServeLock struct {
	f *os.File
	// Crashed: the previous holder died holding the lock (it left no clean handover).
	Crashed bool
}

const (
	lockHeader = "opsgate serve lock\n"
	lockClean  = "clean\n"
	// maxHandover bounds what is read back: a handover is a few MB at most.
	maxHandover = 64 << 20
)

// errLocked: another process holds the lock.
var errLocked = errors.New("locked")

// LockServe takes the serve lock of the SQLite file path, waiting while another process holds
// it: waiting is told who holds it when the wait starts and every minute after. It returns the
// lock and what the previous holder handed over at a clean stop (nil after a crash, or the first
// time).
func LockServe(ctx context.Context, path string, waiting func(holder string)) (*ServeLock, []byte, error) {
	name := path + "-lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, opsgate.Errorf(opsgate.EINVALID, "Cannot open the serve lock %s: %v.", name, err)
	}
	told := time.Time{}
	for {
		err := tryLock(f)
		if err == nil {
			break
		}
		if !errors.Is(err, errLocked) {
			f.Close()
			return nil, nil, opsgate.Errorf(opsgate.EINTERNAL, "Cannot lock %s: %v.", name, err)
		}
		if time.Since(told) >= time.Minute {
			told = time.Now()
			waiting(holder(f))
		}
		if opsgate.Sleep(ctx, 50*time.Millisecond) != nil {
			f.Close()
			return nil, nil, ctx.Err()
		}
	}
	b, err := io.ReadAll(io.NewSectionReader(f, 0, maxHandover+1))
	var handover []byte
	if err == nil && len(b) <= maxHandover {
		if rest, ok := bytes.CutPrefix(b, []byte(lockHeader+lockClean)); ok {
			handover = rest
		}
	}
	crashed := handover == nil && len(b) > 0
	// From here a crash must leave no handover behind: the next holder cannot know what this
	// process saw.
	if err := rewrite(f, fmt.Sprintf("%sheld by pid %d since %s\n", lockHeader, os.Getpid(), time.Now().UTC().Format(time.RFC3339))); err != nil {
		unlock(f)
		f.Close()
		return nil, nil, opsgate.Errorf(opsgate.EINTERNAL, "Cannot write the serve lock %s: %v.", name, err)
	}
	return &ServeLock{f: f, Crashed: crashed}, handover, nil
}

// Release writes handover for the next holder and unlocks.
func (l *ServeLock) Release(handover []byte) error {
	err := rewrite(l.f, lockHeader+lockClean+string(handover))
	unlock(l.f)
	return errors.Join(err, l.f.Close())
}

// holder reads who holds the lock, for the waiting message.
func holder(f *os.File) string {
	b, _ := io.ReadAll(io.NewSectionReader(f, 0, 256))
	line, _, _ := strings.Cut(strings.TrimPrefix(string(b), lockHeader), "\n")
	if !strings.HasPrefix(line, "held by ") {
		return "another opsgate serve"
	}
	return strings.TrimPrefix(line, "held by ")
}

func rewrite(f *os.File, s string) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(s), 0)
	return err
}
