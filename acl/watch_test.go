package acl

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

type reload struct {
	c   *Config
	err error
}

func TestWatcherReloadsAndKeepsLastGoodFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acl.yaml")
	// Each version is put in place whole (written aside, then renamed): os.WriteFile truncates
	// first, and on a busy machine the watcher could take the empty file, stable for its two
	// reads, for this test's bad one (half-written files have a test of their own, below).
	write := func(s string) {
		if err := os.WriteFile(path+".new", []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
	}
	write("ACCESS_CONTROLS: {deploy: {allowusers: ['@bob']}}\n")
	reloads := make(chan reload, 10)
	w := &Watcher{Policy: NewPolicy(&Config{}), Path: path, Interval: 5 * time.Millisecond,
		OnReload: func(c *Config, err error) { reloads <- reload{c, err} }}
	if err := w.Load(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	deploy := func() string {
		d, _ := w.Policy.Allow(aliceDM, route("opsgate", "deploy"), "deploy")
		return d
	}
	next := func() reload {
		select {
		case r := <-reloads:
			return r
		case <-time.After(10 * time.Second):
			t.Fatal("no reload")
		}
		return reload{}
	}
	if d := deploy(); d != MsgUser {
		t.Fatalf("before change: %q", d)
	}
	write("ACCESS_CONTROLS: {deploy: {allowusers: ['@alice']}}\n")
	if r := next(); r.err != nil {
		t.Fatalf("reload: %v", r.err)
	}
	if d := deploy(); d != "" {
		t.Fatalf("after change: %q", d)
	}
	write("ACCESS_CONTROLS: {deploy: {allowusers: 5.5}}\n")
	r := next()
	if got := opsgate.ErrorMessage(r.err); got != path+`:1: ACCESS_CONTROLS["deploy"].allowusers must be a string or a list of strings, got the number 5.5` {
		t.Fatalf("bad file reload error %q", got)
	}
	if d := deploy(); d != "" {
		t.Fatalf("bad file replaced the ACL in force: %q", d)
	}
}

// A file caught half written (an editor truncates, then writes) is not put in force: only content
// that reads the same on two polls in a row is.
func TestWatcherIgnoresHalfWrittenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acl.yaml")
	full := "ACCESS_CONTROLS: {deploy: {allowusers: ['@bob']}}\n"
	if err := os.WriteFile(path, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	var reloads int
	w := &Watcher{Policy: NewPolicy(&Config{}), Path: path, OnReload: func(*Config, error) { reloads++ }}
	if err := w.Load(); err != nil {
		t.Fatal(err)
	}
	deploy := func() string {
		d, _ := w.Policy.Allow(aliceDM, route("opsgate", "deploy"), "deploy")
		return d
	}
	edited := "ACCESS_CONTROLS: {deploy: {allowusers: ['@bob', '@carol']}}\n"
	for _, partial := range []string{"", "ACCESS_CONTROLS: {}\n"} {
		os.WriteFile(path, []byte(partial), 0o600)
		w.poll()
		if d := deploy(); d != MsgUser {
			t.Fatalf("half-written file %q put in force: alice now gets %q", partial, d)
		}
		os.WriteFile(path, []byte(edited), 0o600)
		w.poll()
		w.poll()
		if reloads == 0 || deploy() != MsgUser {
			t.Fatalf("finished file not put in force (reloads %d, alice %q)", reloads, deploy())
		}
		os.WriteFile(path, []byte(full), 0o600)
		w.poll()
		w.poll()
	}
}

// Poke (another replica reloaded the shared file) puts changed content in force now, whatever
// the interval, once it reads the same twice.
func TestWatcherPokeReloadsNow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acl.yaml")
	if err := os.WriteFile(path, []byte("ACCESS_CONTROLS: {deploy: {allowusers: ['@bob']}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reloads := make(chan reload, 10)
	w := &Watcher{Policy: NewPolicy(&Config{}), Path: path, Interval: time.Hour,
		OnReload: func(c *Config, err error) { reloads <- reload{c, err} }}
	if err := w.Load(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := os.WriteFile(path, []byte("ACCESS_CONTROLS: {deploy: {allowusers: ['@alice']}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.Poke()
	select {
	case r := <-reloads:
		if r.err != nil {
			t.Fatal(r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a poke did not reload the file")
	}
	if d, _ := w.Policy.Allow(aliceDM, route("opsgate", "deploy"), "deploy"); d != "" {
		t.Fatalf("after the poke alice is refused: %q", d)
	}
}
