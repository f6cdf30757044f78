package slack

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// BenchmarkSlackSlashCommandAck measures the ack path of a slash command: read the body, verify
// the signature and window, parse the form, build the Request and hand it to the pipeline (here
// a handler that only counts; cmd/opsgate has the variant with the real pipeline).
func BenchmarkSlackSlashCommandAck(b *testing.B) {
	now := time.Unix(1_800_000_000, 0)
	n := 0
	h := New(Options{
		SigningSecret: secret,
		Handle:        func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) string { n++; return "" },
		Callbacks:     callback.New([]byte(secret), "slack"),
		Plumbing:      kit.Plumbing{Now: func() time.Time { return now }},
	})
	// Every request Slack sends is signed anew (a replay is refused), so each iteration carries its
	// own signature; signing, the sender's cost, is inside the measurement.
	base := slashForm("U012AB3CD", "/network", "status nyc --verbose").Encode() + "&n="
	ts := strconv.FormatInt(now.Unix(), 10)
	rd := bytes.NewReader(nil)
	req := httptest.NewRequest("POST", PathSlashCommand, rd)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body := strconv.AppendInt([]byte(base), int64(i), 10)
		req.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
		rd.Reset(body)
		req.ContentLength = int64(len(body))
		w.code = 0
		h.ServeSlashCommand(w, req)
		if w.code != 200 {
			b.Fatal(w.code)
		}
	}
	if n == 0 {
		b.Fatal("handler never ran")
	}
}

type nopWriter struct {
	h    http.Header
	code int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(code int)        { w.code = code }
