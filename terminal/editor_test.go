package terminal_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/terminal"
)

// With a line editor, the next line is asked for only once the previous reply is printed, so the
// editor's prompt never lands in the middle of a reply.
func TestChatReadLineWaitsForReplies(t *testing.T) {
	var out bytes.Buffer
	input := []string{"one", "two"}
	var seen []string // the output each time a line was asked for
	read := func() (string, error) {
		seen = append(seen, out.String())
		if len(input) == 0 {
			return "", io.EOF
		}
		l := input[0]
		input = input[1:]
		return l, nil
	}
	handle := func(ctx context.Context, req *opsgate.Request, d opsgate.Dispatcher) terminal.Waiter {
		d.Send(ctx, opsgate.Textf("ran %s", req.Text))
		return done{}
	}
	c := &terminal.Chat{Handle: handle, ReadLine: read, Out: &out}
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 || !strings.HasSuffix(seen[1], "ran one\n") || !strings.HasSuffix(seen[2], "ran two\n") {
		t.Fatalf("asked for lines with output %q", seen)
	}
}

// The history file is private (commands can carry values) and lives where the caller says, not
// in the working directory.
func TestHistoryFileIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache", "opsgate")
	p, err := terminal.PrepareHistory(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || filepath.Dir(p) != dir || fi.Mode().Perm() != 0o600 {
		t.Fatalf("history %s: %v %v", p, fi.Mode(), err)
	}
	if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v", di.Mode())
	}
}
