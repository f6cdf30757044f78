package queue

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	published = promauto.NewCounter(prometheus.CounterOpts{
		Name: "opsgate_queue_published_total",
		Help: "Accepted commands stored in the JetStream work queue.",
	})
	refused = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_queue_refused_total",
		Help: "Commands refused because they could not be queued, by reason (unreachable, publish, encode, backlog: more waiting than the replicas finish in nats.max_queue_wait).",
	}, []string{"reason"})
	processed = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_queue_processed_total",
		Help: "Queued commands a worker finished, by outcome (done, already_done, poison, malformed, requeued).",
	}, []string{"outcome"})
	duplicates = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_queue_duplicates_total",
		Help: "Commands seen again: a platform retry stored once (publish), a redelivery of a finished command (deliver).",
	}, []string{"stage"})
	backlogGauge = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "opsgate_queue_backlog",
		Help: "Commands in the JetStream work queue waiting for a worker, at this replica's last sample.",
	})
	backlogLimit = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "opsgate_queue_backlog_limit",
		Help: "Commands that may wait before new ones are refused: what the replicas finish in nats.max_queue_wait, at least one replica's workers.",
	})
	postsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_queue_posts_total",
		Help: "StackStorm announcements and webhook posts through the JetStream post queue, by outcome (published, duplicate: an id stored once, refused: NATS unreachable, posted, already_posted: a redelivery of a posted one, retried, handed_back: for a replica serving its platform, given_up, malformed).",
	}, []string{"outcome"})
)
