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
		Now:           func() time.Time { return now },
	})
	body := []byte(slashForm("U012AB3CD", "/network", "status nyc --verbose").Encode())
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := Sign(secret, ts, body)
	rd := bytes.NewReader(body)
	req := httptest.NewRequest("POST", PathSlashCommand, rd)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
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
