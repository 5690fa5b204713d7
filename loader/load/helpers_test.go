package load_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
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

const source = "zoho"

// env is one test's NATS and Neo4j.
type env struct {
	t      *testing.T
	nats   *natstest.Server
	js     jetstream.JetStream
	driver neo4j.DriverWithContext
}

// newEnv starts an embedded NATS with the CRM stream and opens (and wipes)
// the real Neo4j.
func newEnv(t *testing.T) *env {
	t.Helper()
	s := natstest.Start(t)
	s.Setup(t)
	return &env{t: t, nats: s, js: s.JS, driver: neo4jtest.Open(t)}
}

func testLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// loader is a running Loader.
type loader struct {
	*load.Loader
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// start builds a loader on driver and runs it until the test ends or stop.
func (e *env) start(driver neo4j.DriverWithContext, cfg load.Config) *loader {
	e.t.Helper()
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = 100
	}
	if cfg.ShutdownGrace == 0 {
		cfg.ShutdownGrace = 5 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	l, err := load.New(ctx, e.js, neo4jw.New(driver, neo4jtest.Database), cfg,
		testLog().With("who", cfg.Who), nil)
	if err != nil {
		cancel()
		e.t.Fatalf("load.New: %v", err)
	}
	r := &loader{Loader: l, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- l.Run(ctx) }()
	e.t.Cleanup(func() { r.stop(e.t) })
	return r
}

// stop cancels the loader and waits for it.
func (r *loader) stop(t *testing.T) {
	t.Helper()
	r.once.Do(func() {
		r.cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("loader returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("loader did not stop within 30s")
		}
	})
}

// body is a Zoho-like record body.
func body(module string, i int, version int) []byte {
	return fmt.Appendf(nil, `{"id":%q,"Name":"Record %d v%d","Amount":%d.5,"Rank":%d,`+
		`"Closing_Date":"2024-06-%02d","Modified_Time":"2024-05-01T10:%02d:00+05:30",`+
		`"Owner":{"name":"Mary","id":"u1","email":"mary@zylker.com"},"Tags":["a","b"],`+
		`"Sub":[{"id":"s1","Q":2}],"Empty":null,"$state":"save"}`,
		recordID(module, i), i, version, i, i, 1+i%28, i%60)
}

func recordID(module string, i int) string {
	return strconv.Itoa(len(module)*1_000_000 + i)
}

// upsert builds an upsert event of record i of module in run.
func upsert(module string, i, version int, run string) events.RecordEvent {
	b := body(module, i, version)
	h, err := events.CanonicalHash(b)
	if err != nil {
		panic(err)
	}
	return events.RecordEvent{Key: events.RecordKey{Source: source, Module: module,
		ID: recordID(module, i)}, Op: events.OpUpsert, Run: run,
		Modified: time.Date(2024, 5, 1, 5, i%60, 0, 0, time.UTC), Hash: h, Body: b}
}

// tombstone builds a delete event of record i of module in run.
func tombstone(module string, i int, run string) events.RecordEvent {
	return events.RecordEvent{Key: events.RecordKey{Source: source, Module: module,
		ID: recordID(module, i)}, Op: events.OpDelete, Run: run,
		Modified: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), Hash: "deleted",
		Body: fmt.Appendf(nil, `{"id":%q}`, recordID(module, i))}
}

// publish publishes events (asynchronously, in order) and returns the
// first and last stream sequence.
func (e *env) publish(evs ...events.RecordEvent) (first, last uint64) {
	e.t.Helper()
	msgs := make([]*nats.Msg, len(evs))
	for i, ev := range evs {
		m, err := ev.Msg()
		if err != nil {
			e.t.Fatalf("building %s: %v", ev.Key, err)
		}
		msgs[i] = m
	}
	return e.publishMsgs(msgs...)
}

// publishMsgs publishes messages and returns the first and last sequence.
func (e *env) publishMsgs(msgs ...*nats.Msg) (first, last uint64) {
	e.t.Helper()
	futures := make([]jetstream.PubAckFuture, len(msgs))
	for i, m := range msgs {
		f, err := e.js.PublishMsgAsync(m, jetstream.WithStallWait(10*time.Second))
		if err != nil {
			e.t.Fatalf("publishing %s: %v", m.Subject, err)
		}
		futures[i] = f
	}
	for _, f := range futures {
		select {
		case ack := <-f.Ok():
			if first == 0 || ack.Sequence < first {
				first = ack.Sequence
			}
			last = max(last, ack.Sequence)
		case err := <-f.Err():
			e.t.Fatalf("publishing %s: %v", f.Msg().Subject, err)
		case <-time.After(30 * time.Second):
			e.t.Fatalf("no ack for %s", f.Msg().Subject)
		}
	}
	return first, last
}

// marker publishes the extracted marker of a run covering first..last.
func (e *env) marker(run string, first, last uint64) {
	e.t.Helper()
	now := time.Now().UTC()
	m := &events.Marker{Source: source, Run: run, Stage: events.StageExtracted,
		Mode: events.ModeFull, StartedAt: now, FinishedAt: now, FirstSeq: first, LastSeq: last}
	msg, err := m.Msg()
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.js.PublishMsg(context.Background(), msg); err != nil {
		e.t.Fatalf("publishing marker: %v", err)
	}
}

// loaded waits for the loaded marker of a run.
func (e *env) loaded(run string, within time.Duration) *events.Marker {
	e.t.Helper()
	m, err := e.waitLoaded(run, within)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) waitLoaded(run string, within time.Duration) (*events.Marker, error) {
	subject, err := events.MarkerSubject(source, run, events.StageLoaded)
	if err != nil {
		return nil, err
	}
	s, err := e.js.Stream(context.Background(), events.StreamName)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		raw, err := s.GetLastMsgForSubject(context.Background(), subject)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			return nil, err
		}
		return events.DecodeMarker(raw.Subject, raw.Header, raw.Data)
	}
	return nil, fmt.Errorf("no loaded marker for run %s within %s", run, within)
}

// count runs a counting query.
func (e *env) count(q string) int64 {
	e.t.Helper()
	return neo4jtest.Count(e.t, e.driver, q, nil)
}

// eventually polls cond until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func jetstreamOrdered(filter string) jetstream.OrderedConsumerConfig {
	return jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}}
}

func jetstreamWait(d time.Duration) jetstream.FetchOpt {
	return jetstream.FetchMaxWait(d)
}
