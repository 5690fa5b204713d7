package relink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
	"github.com/crmgraph/crmgraph/relinker/mapping"
	"github.com/crmgraph/crmgraph/relinker/neo4jw"
	"github.com/crmgraph/crmgraph/relinker/park"
	"github.com/crmgraph/crmgraph/relinker/relink"
)

const source = "zoho"

// env is a real JetStream server and the real Neo4j, wiped.
type env struct {
	t      *testing.T
	ns     *natstest.Server
	driver neo4j.DriverWithContext
	writer *neo4jw.Writer
	parked *park.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ns := natstest.Start(t)
	ns.Setup(t)
	d := neo4jtest.Open(t)
	for _, l := range []string{"User", "Account", "Contact", "Task", "Note", "Deal"} {
		run(t, d, fmt.Sprintf("CREATE CONSTRAINT crmgraph_%s_id IF NOT EXISTS "+
			"FOR (n:%s) REQUIRE n.id IS UNIQUE", l, l), nil)
	}
	// Small batches and two partitions exercise the planner.
	w, err := neo4jw.New(d, neo4jw.Config{Database: neo4jtest.Database, BatchSize: 2,
		Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	p, err := park.Open(context.Background(), ns.JS)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ns: ns, driver: d, writer: w, parked: p}
}

func (e *env) relinker(file string) *relink.Relinker {
	e.t.Helper()
	f, err := mapping.ParseFile([]byte(file))
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := relink.New(relink.Config{Source: source, ChunkSize: 3, Who: "test", File: f},
		e.ns.JS, e.writer, e.parked, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func run(t *testing.T, d neo4j.DriverWithContext, q string, params map[string]any) {
	t.Helper()
	_, err := neo4j.ExecuteQuery(context.Background(), d, q, params,
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(neo4jtest.Database))
	if err != nil {
		t.Fatalf("running %q: %v", q, err)
	}
}

// rec is a record event to publish: an upsert with a body, or a delete.
type rec struct {
	module, id string
	body       map[string]any // nil: a tombstone
}

// publish publishes a run's record events and returns the loaded marker
// that announces them.
func (e *env) publish(run string, recs ...rec) *events.Marker {
	e.t.Helper()
	m := &events.Marker{Source: source, Run: run, Stage: events.StageLoaded,
		Mode: events.ModeIncremental}
	for _, r := range recs {
		ev := events.RecordEvent{Key: events.RecordKey{Source: source, Module: r.module, ID: r.id},
			Op: events.OpUpsert, Run: run}
		body := r.body
		if body == nil {
			ev.Op = events.OpDelete
			body = map[string]any{"id": r.id}
		}
		b, _ := json.Marshal(body)
		ev.Body = b
		ev.Hash, _ = events.CanonicalHash(b)
		msg, err := ev.Msg()
		if err != nil {
			e.t.Fatal(err)
		}
		ack, err := e.ns.JS.PublishMsg(context.Background(), msg)
		if err != nil {
			e.t.Fatal(err)
		}
		if m.FirstSeq == 0 {
			m.FirstSeq = ack.Sequence
		}
		m.LastSeq = ack.Sequence
	}
	return m
}

// nodes merges nodes with ids, as the loader would.
func (e *env) nodes(label string, ids ...string) {
	e.t.Helper()
	run(e.t, e.driver, "UNWIND $ids AS id MERGE (n:"+label+" {id: id})",
		map[string]any{"ids": toAny(ids)})
}

// drop detach-deletes a node, as the loader does for a tombstone.
func (e *env) drop(label, id string) {
	e.t.Helper()
	run(e.t, e.driver, "MATCH (n:"+label+" {id: $id}) DETACH DELETE n",
		map[string]any{"id": id})
}

// rels returns every relationship of the graph as "Label:id -TYPE/field-> Label:id",
// sorted; relationships without _field show "-".
func (e *env) rels() []string {
	e.t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), e.driver,
		"MATCH (a)-[r]->(b) RETURN labels(a)[0] + ':' + a.id + ' -' + type(r) + '/' + "+
			"coalesce(r._field, '-') + '-> ' + labels(b)[0] + ':' + b.id",
		nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(neo4jtest.Database))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range res.Records {
		out = append(out, r.Values[0].(string))
	}
	slices.Sort(out)
	return out
}

func (e *env) wantRels(want ...string) {
	e.t.Helper()
	slices.Sort(want)
	if got := e.rels(); !slices.Equal(got, want) {
		e.t.Fatalf("relationships:\n%s\nwant:\n%s", lines(got), lines(want))
	}
}

func lines(ss []string) string {
	out := ""
	for _, s := range ss {
		out += "  " + s + "\n"
	}
	return out
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func lookup(id string) map[string]any { return map[string]any{"name": "n", "id": id} }

// linkedMarker reads the linked marker of a run from the stream.
func (e *env) linkedMarker(run string) *events.Marker {
	e.t.Helper()
	s, err := e.ns.JS.Stream(context.Background(), events.StreamName)
	if err != nil {
		e.t.Fatal(err)
	}
	subj, _ := events.MarkerSubject(source, run, events.StageLinked)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	raw, err := s.GetLastMsgForSubject(ctx, subj)
	if err != nil {
		e.t.Fatalf("reading %s: %v", subj, err)
	}
	m, err := events.DecodeMarker(raw.Subject, raw.Header, raw.Data)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}
