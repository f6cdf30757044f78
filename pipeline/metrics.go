package pipeline

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	commandsTotal = newChildren(func(k [2]string) prometheus.Counter { return commandsTotalVec.WithLabelValues(k[0], k[1]) })
	commandSecs   = newChildren(func(command string) prometheus.Observer { return commandSeconds.WithLabelValues(command) })
	deniedTotal   = newChildren(func(k [2]string) prometheus.Counter { return deniedTotalVec.WithLabelValues(k[0], k[1]) })
	unknownTotal  = newChildren(func(platform string) prometheus.Counter { return unknownTotalVec.WithLabelValues(platform) })

	commandsTotalVec = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_commands_total", Help: "Commands handled, by platform and status (succeeded, failed, errored, blocked).",
	}, []string{"platform", "status"})
	commandSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "opsgate_command_duration_seconds", Help: "Run time of commands.", Buckets: prometheus.DefBuckets,
	}, []string{"command"})
	deniedTotalVec = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_access_denied_total", Help: "Requests denied, by the scope or policy that denied them.",
	}, []string{"platform", "scope"})
	unknownTotalVec = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_unknown_commands_total", Help: "Messages that matched no command.",
	}, []string{"platform"})
	queueLimit = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "opsgate_pipeline_queue_limit", Help: "Requests the pipeline takes at once (running and waiting): what its measured throughput finishes within the queue wait.",
	})
	rejectedTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "opsgate_pipeline_rejected_total", Help: "Requests refused by the pipeline itself (overloaded, shutting down).",
	}, []string{"reason"})
	rejectedOverloaded   = rejectedTotal.WithLabelValues("overloaded")
	rejectedShuttingDown = rejectedTotal.WithLabelValues("shutting_down")
)

// children caches a metric vector's children by label values. WithLabelValues hashes the values
// and takes the vector's read lock (a cache line every worker writes) on each call; this is a
// lookup in a map that is only ever read. For label values from a bounded set (platforms,
// statuses, routed commands): a new value copies the map.
type children[K comparable, M any] struct {
	m   atomic.Pointer[map[K]M]
	mu  sync.Mutex // serialises copies
	new func(K) M
}

func newChildren[K comparable, M any](new func(K) M) *children[K, M] {
	return &children[K, M]{new: new}
}

func (c *children[K, M]) get(k K) M {
	if m := c.m.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if v, ok := (*old)[k]; ok {
			return v
		}
	}
	m := make(map[K]M, 1)
	if old != nil {
		m = make(map[K]M, len(*old)+1)
		for k, v := range *old {
			m[k] = v
		}
	}
	v := c.new(k)
	m[k] = v
	c.m.Store(&m)
	return v
}
