package kit_test

import (
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/metrics"
)

// A refusal is one plain-text line, counted once: Reject counts, Answer (for a refusal counted
// where it was decided) does not count again.
func TestRejectCountsAnswerDoesNot(t *testing.T) {
	counter := metrics.RequestsRejected.WithLabelValues("kit-test", "nope")
	before := testutil.ToFloat64(counter)
	w := httptest.NewRecorder()
	kit.NewRefusals("kit-test").Reject(w, 403, "nope", "not allowed")
	if w.Code != 403 || w.Body.String() != "not allowed\n" || w.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("reject: %d %q %v", w.Code, w.Body.String(), w.Header())
	}
	w = httptest.NewRecorder()
	kit.AnswerLine(w, 401, "who are you")
	if w.Code != 401 || w.Body.String() != "who are you\n" {
		t.Fatalf("answer: %d %q", w.Code, w.Body.String())
	}
	if got := testutil.ToFloat64(counter); got != before+1 {
		t.Fatalf("counted %v times, want 1", got-before)
	}
}
