package archive

import "github.com/prometheus/client_golang/prometheus"

// metrics are the archive's Prometheus series, crmgraph_archive_*.
type metrics struct {
	records *prometheus.CounterVec
	skipped *prometheus.CounterVec
	sealed  prometheus.Counter
	bytes   prometheus.Counter
	errors  prometheus.Counter
	lastSeq *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmgraph_archive_records_total",
			Help: "Record events written to the archive.",
		}, []string{"module", "op"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmgraph_archive_redelivered_skipped_total",
			Help: "Redelivered record events skipped because the archive already holds them.",
		}, []string{"module"}),
		sealed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crmgraph_archive_files_sealed_total",
			Help: "Archive files sealed (rotated).",
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crmgraph_archive_bytes_total",
			Help: "Compressed bytes written to archive files.",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crmgraph_archive_write_errors_total",
			Help: "Failed writes to archive files (the record is retried).",
		}),
		lastSeq: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "crmgraph_archive_last_seq",
			Help: "Highest stream sequence archived, per source and module.",
		}, []string{"source", "module"}),
	}
	if reg != nil {
		reg.MustRegister(m.records, m.skipped, m.sealed, m.bytes, m.errors, m.lastSeq)
	}
	return m
}
