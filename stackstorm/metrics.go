package stackstorm

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	announcementsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_stackstorm_announcements_total",
		Help: "st2 announcements read from the stream, by result (delivered, duplicate, failed).",
	}, []string{"result"})
	streamConnected = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "opsgate_stackstorm_stream_connected", Help: "1 while the st2 event stream is connected.",
	})
	streamReconnects = promauto.NewCounter(prometheus.CounterOpts{
		Name: "opsgate_stackstorm_stream_reconnects_total", Help: "st2 event stream reconnections (drops, failures, heartbeat timeouts).",
	})
	deliverySeconds = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "opsgate_stackstorm_delivery_seconds", Help: "Time from reading an announcement to posting it to chat.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	})
	webhookTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_stackstorm_webhook_requests_total", Help: "POST /chatops/message requests, by HTTP status.",
	}, []string{"code"})
)
