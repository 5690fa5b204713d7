// Package faults loads the seed dataset through failures that are not a
// crash: Neo4j unreachable for twenty seconds, and two loader processes
// sharing one consumer.
package faults

import (
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/deploy/e2e/loader/seedtest"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
)

// TestNeo4jOutage cuts the loader binary off Neo4j for 20 seconds in the
// middle of a seed-scale load. The local Neo4j is shared by other tests
// and must not be stopped, so the test puts a TCP proxy between the loader
// and Neo4j and cuts it: every connection is closed and new ones are
// refused, a real network outage to the real server, not a fake. Nothing
// may be lost: the graph completes and equals a clean load.
func TestNeo4jOutage(t *testing.T) {
	evs := seedtest.Seed(t)
	e := seedtest.NewEnv(t)
	first, last := e.Publish(evs)
	e.Marker("seed", first, last)
	proxy := neo4jtest.StartProxy(t)
	p := e.StartLoader(proxy.URI(), []string{"CRMGRAPH_LOADER_CHUNK_SIZE=500"})

	deadline := time.Now().Add(2 * time.Minute)
	for e.Count("MATCH (n) RETURN count(n)") < 10000 {
		if time.Now().After(deadline) {
			t.Fatal("the load did not reach 10,000 nodes")
		}
		time.Sleep(50 * time.Millisecond)
	}
	proxy.Cut()
	at := e.Count("MATCH (n) RETURN count(n)")
	time.Sleep(20 * time.Second)
	during := e.Count("MATCH (n) RETURN count(n)")
	proxy.Restore()
	t.Logf("outage: %d nodes when cut, %d after 20 s", at, during)
	if during > at+500 {
		t.Errorf("%d nodes written while Neo4j was unreachable", during-at)
	}
	if during == int64(len(evs)) {
		t.Fatal("the load finished before the outage: the test proves nothing")
	}

	m := e.Loaded("seed", 4*time.Minute)
	t.Logf("loaded counts: %+v", *m.Nodes)
	seedtest.CompareGraph(t, e.Driver, evs, first)
	if p.Lines("neo4j write failed, retrying") == 0 {
		t.Errorf("the loader did not report the outage:\n%s", p.Log())
	}
}

// TestTwoLoaders runs two loader processes on the one durable consumer:
// both write, and together they give the graph one loader gives.
func TestTwoLoaders(t *testing.T) {
	evs := seedtest.Seed(t)
	e := seedtest.NewEnv(t)
	first, last := e.Publish(evs)
	e.Marker("seed", first, last)
	env := []string{"CRMGRAPH_LOADER_CHUNK_SIZE=500", "CRMGRAPH_LOG_LEVEL=debug"}
	a := e.StartLoader("", env)
	b := e.StartLoader("", env)

	m := e.Loaded("seed", 4*time.Minute)
	if m.Nodes.Created != len(evs) {
		t.Errorf("loaded counts %+v, want %d created", *m.Nodes, len(evs))
	}
	seedtest.CompareGraph(t, e.Driver, evs, first)
	ca, cb := a.Lines(`msg="chunk committed"`), b.Lines(`msg="chunk committed"`)
	t.Logf("chunks committed: %d and %d", ca, cb)
	if ca == 0 || cb == 0 {
		t.Errorf("one loader did all the work (%d and %d chunks)", ca, cb)
	}
}
