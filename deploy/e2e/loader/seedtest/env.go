package seedtest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
	"github.com/crmgraph/crmgraph/loader/load"
	"github.com/crmgraph/crmgraph/loader/neo4jw"
)

// Env is one test's embedded NATS, with the CRM stream and the stage
// consumers, and the real Neo4j, wiped.
type Env struct {
	T      testing.TB
	NATS   *natstest.Server
	JS     jetstream.JetStream
	Driver neo4j.DriverWithContext
}

// NewEnv starts NATS and opens Neo4j (taking the machine-wide test lock).
func NewEnv(t testing.TB) *Env {
	t.Helper()
	s := natstest.Start(t)
	s.Setup(t)
	return &Env{T: t, NATS: s, JS: s.JS, Driver: neo4jtest.Open(t)}
}

// Publish publishes events with a bounded window of asynchronous
// publishes and returns the first and last stream sequence.
func (e *Env) Publish(evs []events.RecordEvent) (first, last uint64) {
	e.T.Helper()
	msgs := make([]*nats.Msg, len(evs))
	for i, ev := range evs {
		m, err := ev.Msg()
		if err != nil {
			e.T.Fatalf("building %s: %v", ev.Key, err)
		}
		msgs[i] = m
	}
	return e.PublishMsgs(msgs)
}

// PublishMsgs publishes messages in order and returns the first and last
// sequence.
func (e *Env) PublishMsgs(msgs []*nats.Msg) (first, last uint64) {
	e.T.Helper()
	const window = 4000
	for start := 0; start < len(msgs); start += window {
		futures := make([]jetstream.PubAckFuture, 0, window)
		for _, m := range msgs[start:min(start+window, len(msgs))] {
			f, err := e.JS.PublishMsgAsync(m, jetstream.WithStallWait(30*time.Second))
			if err != nil {
				e.T.Fatalf("publishing %s: %v", m.Subject, err)
			}
			futures = append(futures, f)
		}
		for _, f := range futures {
			select {
			case ack := <-f.Ok():
				if first == 0 || ack.Sequence < first {
					first = ack.Sequence
				}
				last = max(last, ack.Sequence)
			case err := <-f.Err():
				e.T.Fatalf("publishing %s: %v", f.Msg().Subject, err)
			case <-time.After(time.Minute):
				e.T.Fatalf("no ack for %s", f.Msg().Subject)
			}
		}
	}
	return first, last
}

// Marker publishes a run's extracted marker for records first..last.
func (e *Env) Marker(run string, first, last uint64) {
	e.T.Helper()
	now := time.Now().UTC()
	m := &events.Marker{Source: Source, Run: run, Stage: events.StageExtracted,
		Mode: events.ModeFull, StartedAt: now, FinishedAt: now, FirstSeq: first, LastSeq: last}
	msg, err := m.Msg()
	if err != nil {
		e.T.Fatal(err)
	}
	if _, err := e.JS.PublishMsg(context.Background(), msg); err != nil {
		e.T.Fatalf("publishing marker: %v", err)
	}
}

// Loaded waits for a run's loaded marker and returns it.
func (e *Env) Loaded(run string, within time.Duration) *events.Marker {
	e.T.Helper()
	subject, err := events.MarkerSubject(Source, run, events.StageLoaded)
	if err != nil {
		e.T.Fatal(err)
	}
	s, err := e.JS.Stream(context.Background(), events.StreamName)
	if err != nil {
		e.T.Fatal(err)
	}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		raw, err := s.GetLastMsgForSubject(context.Background(), subject)
		if err == nil {
			m, err := events.DecodeMarker(raw.Subject, raw.Header, raw.Data)
			if err != nil {
				e.T.Fatal(err)
			}
			return m
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.T.Fatalf("no loaded marker for run %s within %s", run, within)
	return nil
}

// ConsumerInfo reads the loader consumer's state.
func (e *Env) ConsumerInfo() *jetstream.ConsumerInfo {
	e.T.Helper()
	c, err := e.JS.Consumer(context.Background(), events.StreamName, events.ConsumerLoader)
	if err != nil {
		e.T.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		e.T.Fatal(err)
	}
	return info
}

// Count runs a counting query.
func (e *Env) Count(q string) int64 {
	e.T.Helper()
	return neo4jtest.Count(e.T, e.Driver, q, nil)
}

// Loader builds an in-process loader on the test's stream and Neo4j.
func (e *Env) Loader(cfg load.Config) *load.Loader {
	e.T.Helper()
	if cfg.ProgressEvery == 0 {
		cfg.ProgressEvery = -1
	}
	l, err := load.New(context.Background(), e.JS, neo4jw.New(e.Driver, neo4jtest.Database),
		cfg, Log(), nil)
	if err != nil {
		e.T.Fatal(err)
	}
	return l
}

// Log returns a logger for in-process stages: Info to stderr with -v,
// nothing otherwise.
func Log() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
