package acl

import (
	"bytes"
	"context"
	"os"
	"time"

	"github.com/opsgate/opsgate"
)

// Watcher reloads an ACL file into a Policy when the file changes. A file that no longer loads
// leaves the previous ACL in force (failing open or closed on a typo would both surprise), and
// OnReload is told why.
type Watcher struct {
	Policy   *Policy
	Path     string
	Interval time.Duration
	// OnReload is called after each attempted reload: err nil means c is now in force.
	OnReload func(c *Config, err error)

	last    []byte
	pending []byte // changed content waiting to read the same once more

	poke opsgate.Signal
}

// settle is how long a poked check waits to read changed content a second time.
const settle = 100 * time.Millisecond

// Poke makes Run check the file now rather than at the next tick (another replica reloaded the
// same file, NATS said). Safe to call from any goroutine, before or while Run runs.
func (w *Watcher) Poke() {
	w.poke.Notify()
}

// Load reads the file now and puts it in force.
func (w *Watcher) Load() error {
	data, err := os.ReadFile(w.Path)
	if err != nil {
		return err
	}
	c, err := Parse(w.Path, data)
	if err != nil {
		return err
	}
	w.Policy.SetConfig(c)
	w.last = data
	return nil
}

// Run polls until ctx ends. It compares content rather than modification times, which are too
// coarse on some filesystems and are kept by tools that copy files into place.
func (w *Watcher) Run(ctx context.Context) {
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	poke := w.poke.C()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.poll()
		case <-poke:
			// New content must still read the same twice: a moment apart, not a tick apart.
			if w.poll(); w.pending != nil {
				select {
				case <-ctx.Done():
					return
				case <-time.After(settle):
				}
				w.poll()
			}
		}
	}
}

// poll reloads the file once its new content has read the same on two polls in a row: a file
// being written in place (truncated, then filled) is otherwise caught half written, and an empty
// or cut ACL put in force, allowing what the whole file forbids.
func (w *Watcher) poll() {
	data, err := os.ReadFile(w.Path)
	if err == nil && bytes.Equal(data, w.last) {
		w.pending = nil
		return
	}
	if err == nil && (w.pending == nil || !bytes.Equal(data, w.pending)) {
		w.pending = data
		return
	}
	w.pending = nil
	var c *Config
	if err == nil {
		c, err = Parse(w.Path, data)
	}
	if err == nil {
		w.Policy.SetConfig(c)
	}
	// Remember a bad version too, so it is reported once rather than on every poll.
	w.last = data
	if w.OnReload != nil {
		w.OnReload(c, err)
	}
}
