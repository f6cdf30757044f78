package stackstorm

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// repeat is an endless-looking line of one byte, n bytes long, without allocating them.
type repeat struct {
	b byte
	n int
}

func (r *repeat) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return k, nil
}

// A stream (a broken proxy, a hostile endpoint) that sends one enormous line, or endless data
// lines without the blank line that ends an event, must not make opsgate buffer it all: the
// event is dropped and the events after it still arrive.
func TestSSEOversizedEventDropped(t *testing.T) {
	const huge = 32 << 20
	for name, body := range map[string]io.Reader{
		"one line": io.MultiReader(strings.NewReader("event: big\ndata: "), &repeat{'a', huge}, strings.NewReader("\n\n")),
		"many data lines": io.MultiReader(strings.NewReader("event: big\n"),
			strings.NewReader(strings.Repeat("data: "+strings.Repeat("b", 1<<16)+"\n", huge>>16)), strings.NewReader("\n")),
	} {
		t.Run(name, func(t *testing.T) {
			body = io.MultiReader(body, strings.NewReader("event: small\ndata: {\"ok\":1}\n\n"))
			dropped := 0
			r := newSSEReader(body, nil)
			r.onTooLarge = func() { dropped++ }
			ev, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if ev.Name != "small" || !bytes.Equal(ev.Data, []byte(`{"ok":1}`)) || dropped != 1 {
				t.Fatalf("got event %q (%d bytes), %d dropped; want the oversized one dropped and the next delivered", ev.Name, len(ev.Data), dropped)
			}
		})
	}
}
