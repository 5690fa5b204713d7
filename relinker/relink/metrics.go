package relink

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/crmgraph/crmgraph/events"
)

// Metrics are the relinker's Prometheus metrics.
type Metrics struct {
	runs          *prometheus.CounterVec
	relationships *prometheus.CounterVec
	records       prometheus.Counter
	dropped       prometheus.Counter
	parked        prometheus.Gauge
	seconds       prometheus.Histogram
}

// NewMetrics creates the metrics and registers them with reg, unless reg
// is nil.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmgraph_relinker_runs_total",
			Help: "Runs relinked, by result (linked or failed).",
		}, []string{"result"}),
		relationships: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmgraph_relinker_relationships_total",
			Help: "Relationships by what the relinker did: created, unchanged, removed, released.",
		}, []string{"op"}),
		records: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crmgraph_relinker_records_total",
			Help: "Record events read back and relinked.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crmgraph_relinker_dropped_lookups_total",
			Help: "Lookups whose target id or module cannot name a node.",
		}),
		parked: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "crmgraph_relinker_parked",
			Help: "Relationships parked, waiting for their end node, after the last run.",
		}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "crmgraph_relinker_run_seconds",
			Help:    "Time to relink one run.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
		}),
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.relationships, m.records, m.dropped, m.parked, m.seconds)
	}
	return m
}

func (m *Metrics) observe(c events.LinkCounts, t tally, seconds float64) {
	m.runs.WithLabelValues("linked").Inc()
	m.relationships.WithLabelValues("created").Add(float64(c.Created))
	m.relationships.WithLabelValues("unchanged").Add(float64(c.Unchanged))
	m.relationships.WithLabelValues("removed").Add(float64(c.Removed))
	m.relationships.WithLabelValues("released").Add(float64(c.Released))
	m.records.Add(float64(t.records))
	m.dropped.Add(float64(t.dropped))
	m.parked.Set(float64(c.Parked))
	m.seconds.Observe(seconds)
}

func (m *Metrics) failed() { m.runs.WithLabelValues("failed").Inc() }
