package mattermost

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsgate/opsgate/metrics"
)

// rejected reads the refusals the kit counts for this platform.
var rejected = metrics.RequestsRejected.MustCurryWith(prometheus.Labels{"platform": "mattermost"})
