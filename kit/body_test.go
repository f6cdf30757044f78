package kit

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate/metrics"
)

// longerThanDeclared is a body that goes on past its Content-Length.
type longerThanDeclared struct{ io.Reader }

func TestReadBody(t *testing.T) {
	f := NewRefusals("kittest")
	count := func(reason string) float64 {
		return testutil.ToFloat64(metrics.RequestsRejected.WithLabelValues("kittest", reason))
	}
	read := func(r *http.Request) (*httptest.ResponseRecorder, []byte, bool) {
		w := httptest.NewRecorder()
		b, ok := f.ReadBody(w, r, 10)
		return w, b, ok
	}

	if _, b, ok := read(httptest.NewRequest("POST", "/", strings.NewReader("0123456789"))); !ok || string(b) != "0123456789" {
		t.Fatalf("body at the limit: %q %v", b, ok)
	}

	before := count("body_too_large")
	w, _, ok := read(httptest.NewRequest("POST", "/", strings.NewReader("0123456789a")))
	if ok || w.Code != 400 || w.Body.String() != "request body too large\n" || count("body_too_large") != before+1 {
		t.Fatalf("over the limit: ok=%v %d %q, counted %v", ok, w.Code, w.Body.String(), count("body_too_large")-before)
	}

	// Declared too large: refused without reading.
	r := httptest.NewRequest("POST", "/", strings.NewReader("x"))
	r.ContentLength = 1 << 30
	if w, _, ok := read(r); ok || !strings.Contains(w.Body.String(), "too large") {
		t.Fatalf("declared over the limit: ok=%v %q", ok, w.Body.String())
	}

	// No Content-Length (chunked): read up to the limit.
	r = httptest.NewRequest("POST", "/", strings.NewReader("abc"))
	r.ContentLength = -1
	if _, b, ok := read(r); !ok || string(b) != "abc" {
		t.Fatalf("chunked: %q %v", b, ok)
	}

	before = count("malformed")
	r = httptest.NewRequest("POST", "/", longerThanDeclared{strings.NewReader("abcdef")})
	r.ContentLength = 3
	w, _, ok = read(r)
	if ok || w.Code != 400 || w.Body.String() != "cannot read request body\n" || count("malformed") != before+1 {
		t.Fatalf("longer than declared: ok=%v %d %q", ok, w.Code, w.Body.String())
	}

	// Shorter than declared, or nothing at all: refused as malformed.
	for _, body := range []string{"abc", ""} {
		r = httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.ContentLength = 5
		if w, _, ok := read(r); ok || w.Body.String() != "cannot read request body\n" {
			t.Fatalf("%d bytes where 5 were declared: ok=%v %q", len(body), ok, w.Body.String())
		}
	}
}

func TestReject(t *testing.T) {
	f := NewRefusals("kittest")
	before := testutil.ToFloat64(metrics.RequestsRejected.WithLabelValues("kittest", "bad_signature"))
	w := httptest.NewRecorder()
	f.Reject(w, 401, "bad_signature", "signature does not match")
	if w.Code != 401 || w.Body.String() != "signature does not match\n" || w.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("%d %q %q", w.Code, w.Body.String(), w.Header().Get("Content-Type"))
	}
	if got := testutil.ToFloat64(metrics.RequestsRejected.WithLabelValues("kittest", "bad_signature")); got != before+1 {
		t.Fatalf("counted %v, want 1", got-before)
	}
}

func BenchmarkReadBody(b *testing.B) {
	f := NewRefusals("kittest")
	body := []byte(strings.Repeat("token=x&text=status&", 50))
	rd := bytes.NewReader(body)
	r := httptest.NewRequest("POST", "/", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		r.Body, r.ContentLength = io.NopCloser(rd), int64(len(body))
		if _, ok := f.ReadBody(w, r, 1<<20); !ok {
			b.Fatal("refused")
		}
	}
}

// A body longer than the limit: refused, counted and answered.
func BenchmarkReadBodyRefused(b *testing.B) {
	f := NewRefusals("kittest")
	body := []byte(strings.Repeat("x", 2048))
	rd := bytes.NewReader(body)
	r := httptest.NewRequest("POST", "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		r.Body, r.ContentLength = io.NopCloser(rd), -1
		if _, ok := f.ReadBody(httptest.NewRecorder(), r, 1024); ok {
			b.Fatal("accepted")
		}
	}
}
