package relink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/graph"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
	"github.com/crmgraph/crmgraph/relinker/neo4jw"
	"github.com/crmgraph/crmgraph/relinker/park"
	"github.com/crmgraph/crmgraph/relinker/relink"
)

// seedModule is one module of the benchmark's seed-scale dataset: the
// simulator's counts (extractor/zohosim/doc.go), rebuilt here because the
// relinker shares nothing with the extractor but the events module.
type seedModule struct {
	module string
	count  int
	// lookups gives, per field, how many records have it and the module
	// it points at ("" for What_Id, whose module cycles through whatTo).
	lookups []seedLookup
}

type seedLookup struct {
	field, target string
	count         int
}

// whatTo are the modules the activities' What_Id points at.
var whatTo = []string{"Accounts", "Deals", "Leads", "Products", "Campaigns", "Projects__c"}

// seedModules: 58,741 records and 73,720 lookups, as the simulator's seed.
var seedModules = []seedModule{
	{"Users", 41, nil},
	{"Accounts", 7000, []seedLookup{{"Parent_Account", "Accounts", 300}}},
	{"Contacts", 16000, []seedLookup{{"Account_Name", "Accounts", 4000},
		{"Reporting_To", "Contacts", 200}}},
	{"Leads", 10000, nil},
	{"Deals", 5000, []seedLookup{{"Account_Name", "Accounts", 2000},
		{"Contact_Name", "Contacts", 800}, {"Campaign_Source", "Campaigns", 100}}},
	{"Campaigns", 200, []seedLookup{{"Parent_Campaign", "Campaigns", 20}}},
	{"Products", 500, nil},
	{"Tasks", 7000, []seedLookup{{"What_Id", "", 1000}, {"Who_Id", "Contacts", 500}}},
	{"Calls", 4000, []seedLookup{{"What_Id", "", 400}, {"Who_Id", "Contacts", 300}}},
	{"Events", 3000, []seedLookup{{"What_Id", "", 300}, {"Who_Id", "Contacts", 200}}},
	{"Notes", 2000, []seedLookup{{"Parent_Id", "Contacts", 2000}}},
	{"Projects__c", 4000, []seedLookup{{"Account__c", "Accounts", 2900}}},
}

func seedCount(module string) int {
	for _, m := range seedModules {
		if m.module == module {
			return m.count
		}
	}
	return 0
}

func seedID(module string, i int) string { return fmt.Sprintf("%s%07d", module[:3], i) }

// seedBody returns the body of record i of m; version changes the
// targets of every third record's Owner, as an edit in the CRM would.
func seedBody(m seedModule, i, version int) []byte {
	body := map[string]any{"id": seedID(m.module, i)}
	// Filler fields: bodies of about 1.5 KB, as the simulator's.
	for f := range 24 {
		body[fmt.Sprintf("Field_%02d", f)] = fmt.Sprintf("value %d of record %d, v%d", f, i,
			version)
	}
	if m.module != "Users" {
		u := i % seedCount("Users")
		if i%3 == 0 {
			u = (i + version) % seedCount("Users")
		}
		body["Owner"] = map[string]any{"name": "U", "id": seedID("Users", u),
			"email": "u@example.com"}
	}
	for _, l := range m.lookups {
		if i >= l.count {
			body[l.field] = nil
			continue
		}
		target := l.target
		if target == "" {
			target = whatTo[i%len(whatTo)]
			body["$se_module"] = target
		}
		j := (i*7 + 3) % seedCount(target)
		if target == m.module {
			j = i / 2 // self references point at older records
		}
		v := map[string]any{"name": "N", "id": seedID(target, j)}
		if l.field == "Parent_Id" {
			v["module"] = map[string]any{"api_name": target, "id": "1"}
		}
		body[l.field] = v
	}
	b, _ := json.Marshal(body)
	return b
}

// benchEnv is the seed dataset's nodes in Neo4j and its schemas on a
// JetStream server.
type benchEnv struct {
	ns     *natstest.Server
	driver neo4j.DriverWithContext
	writer *neo4jw.Writer
	parked *park.Store
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	ns := natstest.Start(b)
	ns.Setup(b)
	d := neo4jtest.Open(b)
	ctx := context.Background()
	for _, m := range seedModules {
		l := graph.DefaultLabel(m.module)
		benchCypher(b, d, fmt.Sprintf("CREATE CONSTRAINT crmgraph_%s_id IF NOT EXISTS "+
			"FOR (n:%s) REQUIRE n.id IS UNIQUE", l, l), nil)
		ids := make([]any, m.count)
		for i := range ids {
			ids[i] = seedID(m.module, i)
		}
		benchCypher(b, d, "UNWIND $ids AS id CREATE (n:"+l+" {id: id, _source: 'zoho'})",
			map[string]any{"ids": ids})
	}
	s := &events.Schema{Source: source, Module: "Projects__c", Run: "schema",
		Fields: []events.Field{{APIName: "Account__c", DataType: "lookup",
			LookupModule: "Accounts", Custom: true}}}
	msg, err := s.Msg()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ns.JS.PublishMsg(ctx, msg); err != nil {
		b.Fatal(err)
	}
	w, err := neo4jw.New(d, neo4jw.Config{Database: neo4jtest.Database,
		BatchSize: neo4jw.DefaultBatchSize, Parallel: neo4jw.DefaultParallel})
	if err != nil {
		b.Fatal(err)
	}
	p, err := park.Open(ctx, ns.JS)
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{ns: ns, driver: d, writer: w, parked: p}
}

func benchCypher(b *testing.B, d neo4j.DriverWithContext, q string, params map[string]any) {
	b.Helper()
	_, err := neo4j.ExecuteQuery(context.Background(), d, q, params,
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(neo4jtest.Database))
	if err != nil {
		b.Fatalf("running %q: %v", q, err)
	}
}

// publishRun publishes the records of a run (every record with step 1,
// every step-th otherwise) at version and returns its loaded marker.
func (e *benchEnv) publishRun(b *testing.B, run string, step, version int,
	mode events.Mode) *events.Marker {
	b.Helper()
	m := &events.Marker{Source: source, Run: run, Stage: events.StageLoaded, Mode: mode}
	var futures []jetstream.PubAckFuture
	n := 0
	for _, mod := range seedModules {
		for i := 0; i < mod.count; i++ {
			if n++; n%step != 0 {
				continue
			}
			body := seedBody(mod, i, version)
			ev := events.RecordEvent{Key: events.RecordKey{Source: source, Module: mod.module,
				ID: seedID(mod.module, i)}, Op: events.OpUpsert, Run: run, Body: body}
			ev.Hash, _ = events.CanonicalHash(body)
			msg, err := ev.Msg()
			if err != nil {
				b.Fatal(err)
			}
			f, err := e.ns.JS.PublishMsgAsync(msg)
			if err != nil {
				b.Fatal(err)
			}
			futures = append(futures, f)
		}
	}
	<-e.ns.JS.PublishAsyncComplete()
	for _, f := range futures {
		select {
		case ack := <-f.Ok():
			if m.FirstSeq == 0 {
				m.FirstSeq = ack.Sequence
			}
			m.LastSeq = ack.Sequence
		case err := <-f.Err():
			b.Fatal(err)
		}
	}
	return m
}

// BenchmarkHandleMarker runs the whole handler (stream read, mapping,
// derive, diff, write, linked marker) on a seed-scale dataset (58,741
// records, 73,720 lookups) on an embedded JetStream server and the real
// Neo4j: a full run into a graph with its nodes and no relationships, and
// an incremental run of 1% of the records (a third of them with a new
// Owner). "cold" clears Neo4j's query caches before each run, as after a
// restart or a large change of the graph's statistics (a full load);
// "warm" keeps them. It prints seconds per run.
//
//	go test ./relink -run '^$' -bench HandleMarker -benchtime 3x [-v]
func BenchmarkHandleMarker(b *testing.B) {
	e := newBenchEnv(b)
	ctx := context.Background()
	var out io.Writer = io.Discard
	if testing.Verbose() {
		out = os.Stderr // -v shows each run's chunk timings
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, err := relink.New(relink.Config{Source: source, ChunkSize: relink.DefaultChunkSize,
		Who: "bench"}, e.ns.JS, e.writer, e.parked, log, nil)
	if err != nil {
		b.Fatal(err)
	}
	full := e.publishRun(b, "full", 1, 0, events.ModeFull)
	clearCaches := func() { benchCypher(b, e.driver, "CALL db.clearQueryCaches()", nil) }
	report := func(b *testing.B, elapsed time.Duration) {
		b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/run")
		b.ReportMetric(0, "ns/op")
	}

	for _, cold := range []bool{true, false} {
		name := map[bool]string{true: "cold", false: "warm"}[cold]
		b.Run("full/"+name, func(b *testing.B) {
			var elapsed time.Duration
			for range b.N {
				benchCypher(b, e.driver, "MATCH ()-[r]->() DELETE r", nil)
				if cold {
					clearCaches()
				}
				start := time.Now()
				linked, err := r.HandleMarker(ctx, full)
				elapsed += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if got := linked.Links.Created; got != 73720 {
					b.Fatalf("created %d relationships, want 73720", got)
				}
			}
			report(b, elapsed)
		})
	}
	version := 0
	for _, cold := range []bool{true, false} {
		name := map[bool]string{true: "cold", false: "warm"}[cold]
		b.Run("incremental/"+name, func(b *testing.B) {
			var elapsed time.Duration
			for range b.N {
				version++
				m := e.publishRun(b, fmt.Sprintf("inc%d", version), 100, version,
					events.ModeIncremental)
				if cold {
					clearCaches()
				}
				start := time.Now()
				linked, err := r.HandleMarker(ctx, m)
				elapsed += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if linked.Links.Created == 0 || linked.Links.Created != linked.Links.Removed {
					b.Fatalf("incremental run: %+v, want as many created as removed",
						*linked.Links)
				}
			}
			report(b, elapsed)
		})
	}
}
