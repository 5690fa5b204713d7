package load_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/graph"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
	"github.com/crmgraph/crmgraph/loader/load"
	"github.com/crmgraph/crmgraph/loader/neo4jw"
)

// TestLoadRuns loads a full run and an incremental one and checks the
// nodes, their properties and the counts of the loaded markers.
func TestLoadRuns(t *testing.T) {
	e := newEnv(t)
	var evs []events.RecordEvent
	for i := range 300 {
		evs = append(evs, upsert("Contacts", i, 1, "run1"), upsert("Projects__c", i, 1, "run1"))
	}
	first, last := e.publish(evs...)
	e.marker("run1", first, last)
	e.start(e.driver, load.Config{ChunkSize: 128})

	m := e.loaded("run1", time.Minute)
	want := events.NodeCounts{Created: 600}
	if *m.Nodes != want || m.FirstSeq != first || m.LastSeq != last || m.Mode != events.ModeFull {
		t.Errorf("loaded marker = %+v nodes %+v, want %+v and sequences %d-%d",
			m, *m.Nodes, want, first, last)
	}
	if n := e.count("MATCH (n:Contact) RETURN count(n)"); n != 300 {
		t.Errorf("%d contacts, want 300", n)
	}
	if n := e.count("MATCH (n:Project) RETURN count(n)"); n != 300 {
		t.Errorf("%d projects, want 300", n)
	}

	// Incremental: 50 updates, 20 deletes, one re-sent unchanged version.
	evs = evs[:0]
	for i := range 50 {
		evs = append(evs, upsert("Contacts", i, 2, "run2"))
	}
	for i := 100; i < 120; i++ {
		evs = append(evs, tombstone("Contacts", i, "run2"))
	}
	first, last = e.publish(evs...)
	e.marker("run2", first, last)
	m = e.loaded("run2", time.Minute)
	want = events.NodeCounts{Updated: 50, Deleted: 20}
	if *m.Nodes != want {
		t.Errorf("run2 counts = %+v, want %+v", *m.Nodes, want)
	}
	if n := e.count("MATCH (n:Contact) RETURN count(n)"); n != 280 {
		t.Errorf("%d contacts after deletes, want 280", n)
	}
	if n := e.count("MATCH (n:Contact) WHERE n.Name ENDS WITH ' v2' AND n._run = 'run2' " +
		"RETURN count(n)"); n != 50 {
		t.Errorf("%d contacts at version 2, want 50", n)
	}
	checkProperties(t, e.driver)
}

// checkProperties reads one contact back and checks types and bookkeeping.
func checkProperties(t *testing.T, d neo4j.DriverWithContext) {
	t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), d,
		"MATCH (n:Contact {id: $id}) RETURN properties(n)",
		map[string]any{"id": recordID("Contacts", 7)},
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(neo4jtest.Database))
	if err != nil || len(res.Records) != 1 {
		t.Fatalf("reading contact 7: %v", err)
	}
	p := res.Records[0].Values[0].(map[string]any)
	if _, ok := p["_seq"].(int64); !ok {
		t.Errorf("_seq = %#v, want an integer", p["_seq"])
	}
	if p["_source"] != source || p["_run"] != "run2" {
		t.Errorf("_source, _run = %v, %v", p["_source"], p["_run"])
	}
	if tm, ok := p["_modified"].(time.Time); !ok || tm.IsZero() {
		t.Errorf("_modified = %#v, want a datetime", p["_modified"])
	}
	if _, ok := p["Closing_Date"].(neo4j.Date); !ok {
		t.Errorf("Closing_Date = %#v, want a date", p["Closing_Date"])
	}
	if p["Amount"] != 7.5 || p["Rank"] != int64(7) || p["Owner_id"] != "u1" {
		t.Errorf("Amount, Rank, Owner_id = %#v, %#v, %#v", p["Amount"], p["Rank"], p["Owner_id"])
	}
	if _, ok := p["$state"]; ok {
		t.Errorf("$state kept although KeepMeta is off")
	}
	if _, ok := p["Empty"]; ok {
		t.Errorf("null field Empty stored")
	}
}

// TestDeadLetters sends messages that can never be loaded among good ones.
func TestDeadLetters(t *testing.T) {
	e := newEnv(t)
	var good []events.RecordEvent
	for i := range 40 {
		good = append(good, upsert("Contacts", i, 1, "run1"))
	}
	first, _ := e.publish(good[:20]...)

	badJSON := upsert("Contacts", 1000, 1, "run1")
	badJSON.Body = []byte(`{"id":"` + recordID("Contacts", 1000) + `","Name":`)
	otherID := upsert("Contacts", 1001, 1, "run1")
	otherID.Body = body("Contacts", 1002, 1)
	reserved := upsert("Contacts", 1003, 1, "run1")
	reserved.Body = []byte(`{"id":"` + recordID("Contacts", 1003) + `","_seq":1}`)
	badLabel := upsert("my-module", 1, 1, "run1") // a valid subject token, not a label
	poison := []events.RecordEvent{badJSON, otherID, reserved, badLabel}
	e.publish(poison...)
	future := upsert("Contacts", 1004, 1, "run1")
	msg, _ := future.Msg()
	msg.Header.Set(events.HeaderSchema, "99")

	_, mid := e.publishMsgs(msg)
	_, last := e.publish(good[20:]...)
	if last < mid {
		t.Fatal("sequences out of order")
	}
	e.marker("run1", first, last)
	e.start(e.driver, load.Config{ChunkSize: 16})

	m := e.loaded("run1", time.Minute)
	if want := (events.NodeCounts{Created: 40, DeadLetters: 5}); *m.Nodes != want {
		t.Errorf("counts = %+v, want %+v", *m.Nodes, want)
	}
	if n := e.count("MATCH (n) WHERE n._source IS NOT NULL RETURN count(n)"); n != 40 {
		t.Errorf("%d nodes, want the 40 good records", n)
	}
	wantReasons := []string{"mapping record", "body id", "field \"_seq\"",
		"labelling module my-module", "unsupported event schema"}
	reasons := e.deadLetterReasons(5)
	for _, w := range wantReasons {
		found := false
		for _, r := range reasons {
			found = found || strings.Contains(r, w)
		}
		if !found {
			t.Errorf("no dead letter reason contains %q; reasons: %q", w, reasons)
		}
	}
}

// deadLetterReasons reads n dead letters of the loader.
func (e *env) deadLetterReasons(n int) []string {
	e.t.Helper()
	ctx := context.Background()
	c, err := e.js.OrderedConsumer(ctx, events.StreamName, jetstreamOrdered("crm.dlq.loader.*"))
	if err != nil {
		e.t.Fatal(err)
	}
	var reasons []string
	for range n {
		msg, err := c.Next(jetstreamWait(5 * time.Second))
		if err != nil {
			e.t.Fatalf("reading dead letter %d of %d: %v", len(reasons)+1, n, err)
		}
		if msg.Headers().Get(events.HeaderDLQStage) != "loader" ||
			msg.Headers().Get(events.HeaderDLQSubject) == "" {
			e.t.Errorf("dead letter %s lacks its headers: %v", msg.Subject(), msg.Headers())
		}
		reasons = append(reasons, msg.Headers().Get(events.HeaderDLQReason))
	}
	return reasons
}

// TestMarkerWaitsForOtherLoader holds a run's records in one loader whose
// Neo4j is cut off, and gives the run's marker to a second loader: the
// second keeps loading other records, and publishes loaded only once the
// first has committed.
func TestMarkerWaitsForOtherLoader(t *testing.T) {
	e := newEnv(t)
	proxy := neo4jtest.StartProxy(t)
	cut, err := neo4j.NewDriverWithContext(proxy.URI(), neo4j.NoAuth(),
		func(c *neo4j.Config) { c.MaxTransactionRetryTime = time.Second })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cut.Close(context.Background()) })
	cons, err := e.js.Consumer(context.Background(), events.StreamName, events.ConsumerLoader)
	if err != nil {
		t.Fatal(err)
	}
	holding := func(n int) func() bool {
		return func() bool {
			ci, err := cons.Info(context.Background())
			return err == nil && ci.NumAckPending == n
		}
	}

	// Loader A, with one writer, takes run 1 in two chunks: one it tries
	// to write, one its fetcher holds ready for the next write.
	a := e.start(cut, load.Config{ChunkSize: 500, FetchWait: 500 * time.Millisecond,
		Writers: 1, Who: "A"})
	proxy.Cut()
	var contacts, notes []events.RecordEvent
	for i := range 200 {
		contacts = append(contacts, upsert("Contacts", i, 1, "run1"))
	}
	for i := range 100 {
		notes = append(notes, upsert("Notes", i, 1, "run1"))
	}
	first, _ := e.publish(contacts...)
	eventually(t, 10*time.Second, "loader A holds the contacts", holding(200))
	time.Sleep(time.Second) // A's fetch is over: the notes make a chunk of their own
	_, last := e.publish(notes...)
	eventually(t, 10*time.Second, "loader A holds the notes too", holding(300))
	time.Sleep(time.Second)

	// Loader B gets the marker of run 1, then run 2.
	e.start(e.driver, load.Config{ChunkSize: 500, Who: "B"})
	e.marker("run1", first, last)
	var run2 []events.RecordEvent
	for i := range 100 {
		run2 = append(run2, upsert("Deals", i, 1, "run2"))
	}
	f2, l2 := e.publish(run2...)
	e.marker("run2", f2, l2)

	eventually(t, 30*time.Second, "loader B loads run 2 while run 1 waits", func() bool {
		return e.count("MATCH (n:Deal) RETURN count(n)") == 100
	})
	if _, err := e.waitLoaded("run1", 2*time.Second); err == nil {
		t.Fatal("run1 loaded while its records are not committed")
	}
	if n := e.count("MATCH (n) WHERE n:Contact OR n:Note RETURN count(n)"); n != 0 {
		t.Fatalf("%d run 1 nodes in the graph while loader A is cut off", n)
	}

	proxy.Restore()
	m := e.loaded("run1", time.Minute)
	if n := e.count("MATCH (n) WHERE n:Contact OR n:Note RETURN count(n)"); n != 300 {
		t.Errorf("%d run 1 nodes when run1 is loaded, want 300", n)
	}
	if m.Nodes.Created != 300 {
		t.Errorf("run1 created %d, want 300", m.Nodes.Created)
	}
	if m := e.loaded("run2", time.Minute); m.Nodes.Created != 100 {
		t.Errorf("run2 created %d, want 100", m.Nodes.Created)
	}
	a.stop(t)
}

// TestReplay rebuilds the graph from the stream, with and without wipe.
func TestReplay(t *testing.T) {
	e := newEnv(t)
	var evs []events.RecordEvent
	for i := range 300 {
		evs = append(evs, upsert("Contacts", i, 1, "run1"), upsert("Deals", i, 1, "run1"))
	}
	for i := range 30 {
		evs = append(evs, upsert("Contacts", i, 2, "run2"), tombstone("Deals", i, "run2"))
	}
	e.publish(evs...)
	drain := func(wipe bool) {
		t.Helper()
		ctx := context.Background()
		l, err := load.New(ctx, e.js, neo4jw.New(e.driver, neo4jtest.Database),
			load.Config{ChunkSize: 200}, testLog(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Rewind(ctx, wipe); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := l.Drain(ctx); err != nil {
			t.Fatalf("Drain: %v", err)
		}
	}
	drain(false)
	clean := neo4jtest.MustChecksum(t, e.driver)
	if clean.Nodes != 300+300-30+30 { // contacts, live deals, tombstones
		t.Fatalf("first load: %s", clean)
	}
	drain(true)
	if got := neo4jtest.MustChecksum(t, e.driver); got != clean {
		t.Errorf("replay with wipe: %s, want %s", got, clean)
	}
	drain(false)
	if got := neo4jtest.MustChecksum(t, e.driver); got != clean {
		t.Errorf("replay without wipe: %s, want %s", got, clean)
	}
}

// TestStopAndResume stops a loader in the middle of a load and starts
// another: nothing is lost, nothing is counted twice in the graph.
func TestStopAndResume(t *testing.T) {
	e := newEnv(t)
	var evs []events.RecordEvent
	const n = 10000
	for i := range n {
		evs = append(evs, upsert("Contacts", i, 1, "run1"))
	}
	first, last := e.publish(evs...)
	e.marker("run1", first, last)
	l := e.start(e.driver, load.Config{ChunkSize: 50})
	eventually(t, time.Minute, "some records loaded", func() bool {
		return e.count("MATCH (n:Contact) RETURN count(n)") > 500
	})
	l.stop(t)
	if got := e.count("MATCH (n:Contact) RETURN count(n)"); got == n {
		t.Error("the first loader finished before it was stopped: the test proves nothing")
	}
	// The first loader handed back (Nak) what it did not commit, so the
	// second gets it at once rather than after the consumer's AckWait (2m).
	e.start(e.driver, load.Config{ChunkSize: 100})
	m := e.loaded("run1", 30*time.Second)
	if got := e.count("MATCH (n:Contact) RETURN count(n)"); got != n {
		t.Errorf("%d contacts, want %d", got, n)
	}
	if m.Nodes.Created != n || m.Nodes.Stale != 0 {
		t.Errorf("counts %+v, want %d created", *m.Nodes, n)
	}
}

// TestNeo4jOutage cuts the network to Neo4j in the middle of a load.
func TestNeo4jOutage(t *testing.T) {
	e := newEnv(t)
	proxy := neo4jtest.StartProxy(t)
	d, err := neo4j.NewDriverWithContext(proxy.URI(), neo4j.NoAuth(),
		func(c *neo4j.Config) { c.MaxTransactionRetryTime = 2 * time.Second })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close(context.Background()) })
	var evs []events.RecordEvent
	for i := range 4000 {
		evs = append(evs, upsert("Contacts", i, 1, "run1"))
	}
	first, last := e.publish(evs...)
	e.marker("run1", first, last)
	e.start(d, load.Config{ChunkSize: 100})
	eventually(t, time.Minute, "load under way", func() bool {
		return e.count("MATCH (n:Contact) RETURN count(n)") > 200
	})
	proxy.Cut()
	at := e.count("MATCH (n:Contact) RETURN count(n)")
	time.Sleep(3 * time.Second)
	if n := e.count("MATCH (n:Contact) RETURN count(n)"); n > at+100 {
		t.Fatalf("%d contacts written during the outage (from %d)", n, at)
	}
	proxy.Restore()
	m := e.loaded("run1", 2*time.Minute)
	if n := e.count("MATCH (n:Contact) RETURN count(n)"); n != 4000 {
		t.Errorf("%d contacts, want 4000", n)
	}
	// A chunk whose connection died during its commit may have committed:
	// it is written again and counted as updated the second time.
	if m.Nodes.Created+m.Nodes.Updated != 4000 || m.Nodes.Updated > 200 {
		t.Errorf("counts %+v, want 4000 created or (at most two chunks) updated", *m.Nodes)
	}
}

// TestCraftedNames shows that a name made to break Cypher never reaches a
// query: subjects refuse unsafe modules, label overrides are validated,
// and a module whose default label is unusable is dead-lettered.
func TestCraftedNames(t *testing.T) {
	for _, module := range []string{"Con`tacts", "A B", "X})DETACH DELETE n//", "Ünï", "a.b",
		"a*"} {
		k := events.RecordKey{Source: source, Module: module, ID: "1"}
		if _, err := k.Subject(); err == nil {
			t.Errorf("module %q made a subject", module)
		}
	}
	for _, label := range []string{"Con`tact", "A B", "X) DETACH DELETE (n", "Ünï", "1x", ""} {
		cfg := load.Config{Labels: graph.Labels{Overrides: map[string]string{"Contacts": label}}}
		if err := cfg.Validate(); err == nil {
			t.Errorf("label override %q accepted", label)
		}
	}
}

// TestBadConfig checks that New refuses settings out of range.
func TestBadConfig(t *testing.T) {
	for _, cfg := range []load.Config{{ChunkSize: -1}, {ChunkSize: load.MaxChunkSize + 1},
		{Writers: 99}, {FetchWait: time.Hour}} {
		if err := cfg.Validate(); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}
