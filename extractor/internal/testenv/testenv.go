// Package testenv starts what the extractor's integration tests run
// against: an embedded JetStream server (events/natstest) with the CRM
// stream set up, a Zoho simulator (zohosim) on a local port, a zoho client
// pointed at it and a runner. Everything stops when the test ends.
package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/extractor/internal/metrics"
	"github.com/crmgraph/crmgraph/extractor/internal/run"
	"github.com/crmgraph/crmgraph/extractor/internal/watermark"
	"github.com/crmgraph/crmgraph/extractor/zoho"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

// Source is the source name the tests use.
const Source = "zoho"

// Env is a running test environment.
type Env struct {
	NATS   *natstest.Server
	Sim    *zohosim.Server
	Zoho   *zoho.Client
	Runner *run.Runner
	Log    *slog.Logger
	met    *metrics.Metrics
}

// Options adjust an Env.
type Options struct {
	// Sim configures the simulator; its Edition defaults to enterprise.
	Sim zohosim.Config
	// Zoho adjusts the client config after the defaults for the simulator
	// are set.
	Zoho func(*zoho.Config)
	// Run adjusts the runner config.
	Run func(*run.Config)
	// Metrics, when set, counts the runner's and the client's work.
	Metrics *metrics.Metrics
}

// New starts an environment.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	ns := natstest.Start(t)
	ns.Setup(t)
	simCfg := o.Sim
	if simCfg.Edition == "" {
		simCfg.Edition = "enterprise"
	}
	sim, err := zohosim.NewServer(simCfg)
	if err != nil {
		t.Fatalf("starting the Zoho simulator: %v", err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	e := &Env{NATS: ns, Sim: sim, Log: Logger(t), met: o.Metrics}
	e.Zoho = NewClient(t, sim, simCfg.Edition, func(c *zoho.Config) {
		c.Hooks = o.Metrics.ZohoHooks()
		if o.Zoho != nil {
			o.Zoho(c)
		}
	})
	e.Runner = e.NewRunner(t, e.Zoho, o.Run)
	return e
}

// NewClient returns a zoho client for the simulator, with short retries.
func NewClient(t testing.TB, sim *zohosim.Server, edition string,
	adjust func(*zoho.Config)) *zoho.Client {
	t.Helper()
	zc := zoho.Config{
		ClientID: "sim", ClientSecret: "sim", RefreshToken: "sim-refresh",
		AccountsURL:  sim.URL,
		Edition:      edition,
		RetryInitial: 20 * time.Millisecond,
		RetryMax:     300 * time.Millisecond,
		RetryBudget:  30 * time.Second,
	}
	if adjust != nil {
		adjust(&zc)
	}
	c, err := zoho.New(zc)
	if err != nil {
		t.Fatalf("creating the zoho client: %v", err)
	}
	return c
}

// NewRunner returns another runner on the environment's NATS server and
// simulator, with a connection of its own, as a second process would have.
func (e *Env) NewRunner(t testing.TB, zc *zoho.Client, adjust func(*run.Config)) *run.Runner {
	t.Helper()
	nc, js, err := events.Connect(e.NATS.URL, t.Name())
	if err != nil {
		t.Fatalf("connecting to NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	cfg := run.Config{Source: Source, Progress: time.Minute}
	if adjust != nil {
		adjust(&cfg)
	}
	r, err := run.New(context.Background(), cfg,
		run.Deps{Zoho: zc, Conn: nc, JS: js, Log: e.Log, Metrics: e.met})
	if err != nil {
		t.Fatalf("creating the runner: %v", err)
	}
	return r
}

// Logger logs to the test output when CRMGRAPH_TEST_LOG is set (to
// standard error when it is "stderr"), else nowhere.
func Logger(t testing.TB) *slog.Logger {
	switch os.Getenv("CRMGRAPH_TEST_LOG") {
	case "":
		return slog.New(slog.DiscardHandler)
	case "stderr":
		return slog.New(slog.NewTextHandler(os.Stderr,
			&slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

// Write logs one line through the test.
func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

// Event is a record event read back from the stream.
type Event struct {
	events.RecordEvent
	Seq uint64
}

// Events returns the latest record event of every record of the source
// with a stream sequence above after, keyed by module and id.
func (e *Env) Events(t testing.TB, after uint64) map[string]map[string]Event {
	t.Helper()
	out := map[string]map[string]Event{}
	e.eachMsg(t, "crm.rec."+Source+".>", after, func(m jetstream.Msg, seq uint64) {
		ev, err := events.DecodeRecord(m.Subject(), m.Headers(), m.Data())
		if err != nil {
			t.Fatalf("decoding %s: %v", m.Subject(), err)
		}
		if out[ev.Key.Module] == nil {
			out[ev.Key.Module] = map[string]Event{}
		}
		out[ev.Key.Module][ev.Key.ID] = Event{RecordEvent: ev, Seq: seq}
	})
	return out
}

// eachMsg calls fn with every message on filter after sequence after.
func (e *Env) eachMsg(t testing.TB, filter string, after uint64,
	fn func(jetstream.Msg, uint64)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}}
	if after > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, after+1
	}
	cons, err := e.NATS.JS.OrderedConsumer(ctx, events.StreamName, cfg)
	if err != nil {
		t.Fatalf("creating a consumer on %s: %v", filter, err)
	}
	pending := cons.CachedInfo().NumPending
	for pending > 0 {
		batch, err := cons.Fetch(int(min(pending, 5000)), jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			t.Fatalf("reading %s: %v", filter, err)
		}
		for m := range batch.Messages() {
			md, err := m.Metadata()
			if err != nil {
				t.Fatalf("reading metadata: %v", err)
			}
			fn(m, md.Sequence.Stream)
			pending = md.NumPending
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			t.Fatalf("reading %s: %v", filter, err)
		}
	}
}

// Marker returns a run's marker of stage, nil when the stream has none.
func (e *Env) Marker(t testing.TB, runID string, stage events.Stage) *events.Marker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := e.NATS.JS.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatalf("reading stream: %v", err)
	}
	subject, err := events.MarkerSubject(Source, runID, stage)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("reading %s: %v", subject, err)
	}
	mk, err := events.DecodeMarker(m.Subject, m.Header, m.Data)
	if err != nil {
		t.Fatalf("decoding %s: %v", subject, err)
	}
	return mk
}

// Markers returns the markers of stage published after sequence after.
func (e *Env) Markers(t testing.TB, stage events.Stage, after uint64) []*events.Marker {
	t.Helper()
	var out []*events.Marker
	e.eachMsg(t, events.StageMarkers(stage), after, func(m jetstream.Msg, _ uint64) {
		mk, err := events.DecodeMarker(m.Subject(), m.Headers(), m.Data())
		if err != nil {
			t.Fatalf("decoding %s: %v", m.Subject(), err)
		}
		out = append(out, mk)
	})
	return out
}

// LastSeq returns the stream's last sequence.
func (e *Env) LastSeq(t testing.TB) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := e.NATS.JS.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatalf("reading stream: %v", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("reading stream info: %v", err)
	}
	return info.State.LastSeq
}

// Watermarks returns every watermark of the source, by module.
func (e *Env) Watermarks(t testing.TB) map[string]watermark.Mark {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv, err := e.NATS.JS.KeyValue(ctx, events.BucketWatermarks)
	if err != nil {
		t.Fatalf("opening watermarks: %v", err)
	}
	out := map[string]watermark.Mark{}
	keys, err := kv.ListKeys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return out
	}
	if err != nil {
		t.Fatalf("listing watermarks: %v", err)
	}
	for k := range keys.Keys() {
		en, err := kv.Get(ctx, k)
		if err != nil {
			t.Fatalf("reading watermark %s: %v", k, err)
		}
		var m watermark.Mark
		if err := json.Unmarshal(en.Value(), &m); err != nil {
			t.Fatalf("decoding watermark %s: %v", k, err)
		}
		out[k] = m
	}
	return out
}

// Body decodes a record body the way the simulator's ground truth is
// decoded (numbers as float64), for comparison.
func Body(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decoding body: %v", err)
	}
	return m
}
