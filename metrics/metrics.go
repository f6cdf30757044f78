// Package metrics holds the Prometheus metrics several packages share. Defining a shared metric
// once here, rather than in each package with matching names and help texts, is what keeps a new
// platform from panicking the registry at start-up with a slightly different copy.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// RequestsRejected counts chat platform requests refused before reaching the command pipeline.
// Platforms curry it with their name: RequestsRejected.MustCurryWith(prometheus.Labels{"platform": "slack"}).
var RequestsRejected = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "opsgate_requests_rejected_total",
	Help: "Chat platform requests refused before reaching the command pipeline, by platform and reason.",
}, []string{"platform", "reason"})

// FormsRefused counts browser form requests refused, by form and reason: cross_origin (refused by
// the HTTP server's cross-origin protection before the form sees it) and each form's own reasons.
var FormsRefused = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "opsgate_form_refused_total",
	Help: "Browser form requests refused, by form (stackstorm_login, ...) and reason (cross_origin, bad_link, bad_credentials, ...).",
}, []string{"form", "reason"})
