package pipeline

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	commandsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_commands_total", Help: "Commands handled, by platform and status (succeeded, failed, errored, blocked).",
	}, []string{"platform", "status"})
	commandSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "opsgate_command_duration_seconds", Help: "Run time of commands.", Buckets: prometheus.DefBuckets,
	}, []string{"command"})
	deniedTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_access_denied_total", Help: "Requests denied, by the scope or policy that denied them.",
	}, []string{"platform", "scope"})
	unknownTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_unknown_commands_total", Help: "Messages that matched no command.",
	}, []string{"platform"})
	queueLimit = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "opsgate_pipeline_queue_limit", Help: "Requests the pipeline takes at once (running and waiting): what its measured throughput finishes within the queue wait.",
	})
	rejectedTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_pipeline_rejected_total", Help: "Requests refused by the pipeline itself (overloaded, shutting down).",
	}, []string{"reason"})
)
