// Package metrics holds the extractor's Prometheus metrics, all named
// crmgraph_extractor_*: runs and their duration, records fetched and
// published per module, and Zoho calls, retries and token refreshes.
package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/crmgraph/crmgraph/extractor/zoho"
)

// Metrics are the extractor's collectors. A nil *Metrics records nothing.
type Metrics struct {
	runs        *prometheus.CounterVec
	runSeconds  *prometheus.HistogramVec
	running     prometheus.Gauge
	lastSuccess *prometheus.GaugeVec
	fetched     *prometheus.CounterVec
	published   *prometheus.CounterVec
	unchanged   *prometheus.CounterVec
	calls       *prometheus.CounterVec
	callSeconds *prometheus.HistogramVec
	retries     *prometheus.CounterVec
	refreshes   *prometheus.CounterVec
}

// New creates the collectors and registers them with reg.
func New(reg prometheus.Registerer) *Metrics {
	const ns, sub = "crmgraph", "extractor"
	m := &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "runs_total", Help: "Runs finished, by mode and result (extracted, failed)."},
			[]string{"mode", "result"}),
		runSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns,
			Subsystem: sub, Name: "run_duration_seconds", Help: "Duration of finished runs.",
			Buckets: prometheus.ExponentialBuckets(0.25, 2, 14)}, []string{"mode"}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "run_in_progress", Help: "1 while this process runs a run."}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "last_success_timestamp_seconds",
			Help: "Unix time of the last run that published its extracted marker."},
			[]string{"mode"}),
		fetched: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "records_fetched_total", Help: "Records read from Zoho."},
			[]string{"module"}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "records_published_total",
			Help: "Record events published, by module and op (upsert, delete)."},
			[]string{"module", "op"}),
		unchanged: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "records_unchanged_total",
			Help: "Records not published because the stream already holds them."},
			[]string{"module"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "zoho_calls_total",
			Help: "Zoho API calls, by kind and HTTP status (0: no response)."},
			[]string{"kind", "status"}),
		callSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns,
			Subsystem: sub, Name: "zoho_call_duration_seconds", Help: "Zoho API call latency.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 13)}, []string{"kind"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "zoho_retries_total", Help: "Zoho API calls retried, by kind."},
			[]string{"kind"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "zoho_token_refreshes_total",
			Help: "Access token refreshes, by result (ok, error)."}, []string{"result"}),
	}
	reg.MustRegister(m.runs, m.runSeconds, m.running, m.lastSuccess, m.fetched, m.published,
		m.unchanged, m.calls, m.callSeconds, m.retries, m.refreshes)
	return m
}

// ZohoHooks returns client hooks that count calls, retries and refreshes.
func (m *Metrics) ZohoHooks() zoho.Hooks {
	if m == nil {
		return zoho.Hooks{}
	}
	return zoho.Hooks{
		OnCall: func(kind string, status int, took time.Duration) {
			m.calls.WithLabelValues(kind, strconv.Itoa(status)).Inc()
			m.callSeconds.WithLabelValues(kind).Observe(took.Seconds())
		},
		OnRetry: func(kind string, _ error, _ time.Duration) {
			m.retries.WithLabelValues(kind).Inc()
		},
		OnRefresh: func(err error) {
			result := "ok"
			if err != nil {
				result = "error"
			}
			m.refreshes.WithLabelValues(result).Inc()
		},
	}
}

// RunStarted marks a run in progress.
func (m *Metrics) RunStarted() {
	if m != nil {
		m.running.Inc()
	}
}

// RunFinished counts a finished run.
func (m *Metrics) RunFinished(mode string, ok bool, took time.Duration) {
	if m == nil {
		return
	}
	m.running.Dec()
	result := "extracted"
	if !ok {
		result = "failed"
	}
	m.runs.WithLabelValues(mode, result).Inc()
	m.runSeconds.WithLabelValues(mode).Observe(took.Seconds())
	if ok {
		m.lastSuccess.WithLabelValues(mode).SetToCurrentTime()
	}
}

// Fetched counts records read from Zoho.
func (m *Metrics) Fetched(module string, n int) {
	if m != nil && n > 0 {
		m.fetched.WithLabelValues(module).Add(float64(n))
	}
}

// Published counts record events published.
func (m *Metrics) Published(module, op string, n int) {
	if m != nil && n > 0 {
		m.published.WithLabelValues(module, op).Add(float64(n))
	}
}

// Unchanged counts records skipped because their hash did not change.
func (m *Metrics) Unchanged(module string, n int) {
	if m != nil && n > 0 {
		m.unchanged.WithLabelValues(module).Add(float64(n))
	}
}
