package kit

import (
	"io"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsgate/opsgate/metrics"
)

// Refusals answers requests a platform refuses before they reach the pipeline: one line saying
// what and why, counted in opsgate_requests_rejected_total{platform,reason}.
type Refusals struct {
	counter *prometheus.CounterVec
}

// NewRefusals returns the refusals of platform ("slack", "teams", ...).
func NewRefusals(platform string) *Refusals {
	return &Refusals{counter: metrics.RequestsRejected.MustCurryWith(prometheus.Labels{"platform": platform})}
}

// Count records a refusal answered some other way (a JSON error, a silent drop of a duplicate).
func (f *Refusals) Count(reason string) { f.counter.WithLabelValues(reason).Inc() }

// Reject counts reason and answers status with msg as one line of plain text.
func (f *Refusals) Reject(w http.ResponseWriter, status int, reason, msg string) {
	f.Count(reason)
	AnswerLine(w, status, msg)
}

// AnswerLine answers status with msg as one line of plain text, for a refusal counted already (a
// verifier that counts what it refuses).
func AnswerLine(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}
