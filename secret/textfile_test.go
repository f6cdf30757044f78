package secret

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFileProvider(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "secrets")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(root, "nyc"), outside} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "nyc", "csr1.txt"), "  device-pw-1\n")
	write(filepath.Join(outside, "shadow.txt"), "outside-secret")
	write(filepath.Join(base, "secrets-evil.txt"), "sibling-prefix")
	// A symlink inside the root pointing outside it, one pointing inside, and a directory link out.
	must(t, os.Symlink(filepath.Join(outside, "shadow.txt"), filepath.Join(root, "escape.txt")))
	must(t, os.Symlink(filepath.Join(root, "nyc", "csr1.txt"), filepath.Join(root, "alias.txt")))
	must(t, os.Symlink(outside, filepath.Join(root, "outdir")))

	p := &FileProvider{Roots: []string{root}}
	get := func(path string) (string, error) {
		return p.Get(context.Background(), map[string]string{"path": path})
	}
	if v, err := get(filepath.Join(root, "nyc", "csr1.txt")); err != nil || v != "device-pw-1" {
		t.Fatalf("plain file: %q %v (content must be stripped)", v, err)
	}
	if v, err := get(filepath.Join(root, "alias.txt")); err != nil || v != "device-pw-1" {
		t.Fatalf("symlink inside the root: %q %v", v, err)
	}
	if _, err := get(filepath.Join(root, "nyc", "missing.txt")); !errors.Is(err, ErrValueNotFound) {
		t.Fatalf("missing file: %v", err)
	}
	refused := []string{
		"relative/path.txt",
		root + "/nyc/../../outside/shadow.txt", // ".." element
		root + "//nyc/csr1.txt",                // not clean
		root + "/nyc/./csr1.txt",
		filepath.Join(outside, "shadow.txt"),        // not under the root
		filepath.Join(base, "secrets-evil.txt"),     // shares the root's prefix, is not under it
		filepath.Join(root, "escape.txt"),           // symlink escaping the root
		filepath.Join(root, "outdir", "shadow.txt"), // through a symlinked directory
		root, // the root itself
	}
	for _, path := range refused {
		v, err := get(path)
		if !errors.Is(err, ErrParameters) {
			t.Errorf("%s: got %q, %v; want SecretParametersError", path, v, err)
		}
		if v != "" {
			t.Errorf("%s: returned content", path)
		}
	}
	// A directory under the root is not a secret.
	if _, err := get(filepath.Join(root, "nyc")); !errors.Is(err, ErrProvider) {
		t.Errorf("directory: %v", err)
	}
	// With no roots configured, nothing may be read.
	if _, err := (&FileProvider{}).Get(context.Background(), map[string]string{"path": filepath.Join(root, "nyc", "csr1.txt")}); !errors.Is(err, ErrParameters) {
		t.Errorf("no roots: %v", err)
	}
	// A root that is itself reached through a symlink still works.
	linkRoot := filepath.Join(base, "linkroot")
	must(t, os.Symlink(root, linkRoot))
	p2 := &FileProvider{Roots: []string{linkRoot}}
	if v, err := p2.Get(context.Background(), map[string]string{"path": filepath.Join(linkRoot, "nyc", "csr1.txt")}); err != nil || v != "device-pw-1" {
		t.Fatalf("symlinked root: %q %v", v, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A directory swapped for a symlink out of the root between the check and the open (by anyone
// who can write under the root) must not lead the read outside.
func TestFileProviderSymlinkSwapAfterCheck(t *testing.T) {
	base := t.TempDir()
	root, outside := filepath.Join(base, "secrets"), filepath.Join(base, "outside")
	must(t, os.MkdirAll(filepath.Join(root, "nyc"), 0o700))
	must(t, os.MkdirAll(outside, 0o700))
	must(t, os.WriteFile(filepath.Join(root, "nyc", "csr1.txt"), []byte("device-pw-1"), 0o600))
	must(t, os.WriteFile(filepath.Join(outside, "csr1.txt"), []byte("outside-secret"), 0o600))
	testHookBeforeOpen = func() {
		must(t, os.Rename(filepath.Join(root, "nyc"), filepath.Join(base, "nyc.old")))
		must(t, os.Symlink(outside, filepath.Join(root, "nyc")))
	}
	t.Cleanup(func() { testHookBeforeOpen = nil })
	v, err := (&FileProvider{Roots: []string{root}}).Get(context.Background(), map[string]string{"path": filepath.Join(root, "nyc", "csr1.txt")})
	if v == "outside-secret" {
		t.Fatal("read a file outside the root through a symlink swapped in after the check")
	}
	if err == nil {
		t.Fatalf("got %q, want an error", v)
	}
}
