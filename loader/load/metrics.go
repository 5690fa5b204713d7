package load

import "github.com/prometheus/client_golang/prometheus"

// metrics are the loader's Prometheus metrics.
type metrics struct {
	records     *prometheus.CounterVec
	nodes       *prometheus.CounterVec
	deadLetters prometheus.Counter
	chunks      prometheus.Counter
	chunkTime   prometheus.Histogram
	retries     prometheus.Counter
	backlog     prometheus.Gauge
	runs        prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmgraph_loader_records_total",
			Help: "Record events committed to the graph, by module and operation.",
		}, []string{"module", "op"}),
		nodes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmgraph_loader_nodes_total",
			Help: "What committed record events did to nodes: created, updated, deleted, stale.",
		}, []string{"result"}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crmgraph_loader_dead_letters_total",
			Help: "Messages sent to crm.dlq.loader.<seq> and terminated.",
		}),
		chunks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crmgraph_loader_chunks_total",
			Help: "Chunks committed and acknowledged.",
		}),
		chunkTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "crmgraph_loader_chunk_write_seconds",
			Help:    "Time to write one chunk to Neo4j, retries included.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crmgraph_loader_write_retries_total",
			Help: "Chunk writes retried after Neo4j failed transiently.",
		}),
		backlog: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "crmgraph_loader_backlog",
			Help: "Messages of the loader consumer not yet acknowledged (pending and in flight).",
		}),
		runs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crmgraph_loader_runs_loaded_total",
			Help: "Loaded markers published.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.records, m.nodes, m.deadLetters, m.chunks, m.chunkTime,
			m.retries, m.backlog, m.runs)
	}
	return m
}
