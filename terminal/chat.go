package terminal

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// Waiter is a handled request whose replies can be waited for.
type Waiter interface {
	Wait()
	// Refused returns why the request was not taken at all ("" when it was).
	Refused() string
}

// HandleFunc hands a request to the pipeline.
type HandleFunc func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) Waiter

// Chat reads one command per line and prints the replies. Every line goes through Handle with
// the identity in Template, exactly like a message from a real platform.
type Chat struct {
	Handle   HandleFunc
	Template opsgate.Request
	In       io.Reader
	Out      io.Writer
	Prompt   string // printed before each line ("" for none)
	// ReadLine, when set, reads each line instead of In: a line editor with history on a
	// terminal, which prints its own prompt. It is called only once the previous line's replies
	// are printed. io.EOF ends the chat.
	ReadLine func() (string, error)
}

// maxLine bounds one line: a longer one is refused (and not kept in memory), and the chat goes on.
const maxLine = 1 << 20

// Run chats until In ends or ctx is done (Ctrl-C: it returns at once, without waiting for a line).
func (c *Chat) Run(ctx context.Context) error {
	d := &Dispatcher{W: c.Out}
	lines, stop, next := make(chan line), make(chan struct{}), make(chan struct{}, 1)
	defer close(stop)
	if c.ReadLine != nil {
		go editLines(c.ReadLine, lines, next, stop)
	} else {
		go readLines(c.In, lines, stop)
	}
	if c.Prompt != "" {
		// End on a fresh line, so the shell's prompt does not follow ours (or the terminal's ^C).
		defer fmt.Fprintln(c.Out)
	}
	for {
		if c.ReadLine != nil {
			next <- struct{}{}
		} else if c.Prompt != "" {
			fmt.Fprint(c.Out, c.Prompt)
		}
		var l line
		select {
		case <-ctx.Done():
			return ctx.Err()
		case l = <-lines:
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if l.err != nil {
			if l.err == io.EOF {
				return nil
			}
			return l.err
		}
		if l.tooLong {
			fmt.Fprintf(c.Out, "That line is too long (over %d MiB); it was ignored.\n", maxLine>>20)
			continue
		}
		text, cancelled := d.prompt.Answer(strings.TrimSpace(l.text))
		if cancelled {
			fmt.Fprintln(c.Out, "Cancelled.")
		}
		if text == "" {
			continue
		}
		req := c.Template
		req.Text = text
		w := c.Handle(ctx, &req, d)
		w.Wait()
		if msg := w.Refused(); msg != "" {
			fmt.Fprintln(c.Out, msg)
		}
	}
}

// line is one line read from the chat's input, or the error that ended it.
type line struct {
	text    string
	tooLong bool
	err     error
}

// editLines sends the lines read (one for each token on next) until read fails or stop is closed.
// Like readLines it runs on its own goroutine, so that Run can return on an interrupt.
func editLines(read func() (string, error), lines chan<- line, next, stop <-chan struct{}) {
	for {
		select {
		case <-next:
		case <-stop:
			return
		}
		s, err := read()
		select {
		case lines <- line{text: s, err: err}:
		case <-stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// readLines sends r's lines to lines until r fails or stop is closed. It runs on its own goroutine
// so that Run can return on an interrupt while a read of a terminal is still blocked.
func readLines(r io.Reader, lines chan<- line, stop <-chan struct{}) {
	br := bufio.NewReaderSize(r, 64*1024)
	var buf []byte
	tooLong := false
	for {
		chunk, more, err := br.ReadLine()
		l := line{err: err}
		if err == nil {
			if !tooLong && len(buf)+len(chunk) > maxLine {
				tooLong, buf = true, nil
			}
			if !tooLong {
				buf = append(buf, chunk...)
			}
			if more {
				continue
			}
			l = line{text: string(buf), tooLong: tooLong}
			buf, tooLong = buf[:0], false
		}
		select {
		case lines <- l:
		case <-stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// Dispatcher prints messages to W and remembers the last prompt so the next line can answer it.
type Dispatcher struct {
	W      io.Writer
	mu     sync.Mutex
	n      int
	prompt kit.Pending
}

var _ opsgate.Dispatcher = (*Dispatcher)(nil)

// Send prints m.
func (d *Dispatcher) Send(_ context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.prompt.Asked(m)
	d.n++
	_, err := io.WriteString(d.W, Render(m))
	return opsgate.MessageRef(strconv.Itoa(d.n)), err
}

// Delete notes that a message was withdrawn.
func (d *Dispatcher) Delete(_ context.Context, ref opsgate.MessageRef) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err := fmt.Fprintf(d.W, "(message %s deleted)\n", ref)
	return err
}

// Busy does nothing: the terminal waits for the reply anyway.
func (d *Dispatcher) Busy(context.Context) error { return nil }
