// Package kill kills loader processes in the middle of a seed-scale load
// and checks that the graph still ends up equal to a clean load.
package kill

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/deploy/e2e/loader/seedtest"
)

// TestKillAndFinish SIGKILLs the loader binary five times at random points
// of a seed-scale load, then lets a sixth process finish. The messages a
// killed process held come back after the consumer's AckWait (two
// minutes), so the last process runs at least that long.
func TestKillAndFinish(t *testing.T) {
	evs := seedtest.Seed(t)
	e := seedtest.NewEnv(t)
	first, last := e.Publish(evs)
	e.Marker("seed", first, last)

	seed := uint64(time.Now().UnixNano())
	rnd := rand.New(rand.NewPCG(seed, 7))
	t.Logf("kill points drawn with seed %d", seed)
	env := []string{"CRMGRAPH_LOADER_CHUNK_SIZE=500"}
	for i := range 5 {
		before := e.Count("MATCH (n) RETURN count(n)")
		p := e.StartLoader("", env)
		// Kill once the process is writing, at a random point after that.
		deadline := time.Now().Add(time.Minute)
		for e.Count("MATCH (n) RETURN count(n)") == before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Duration(rnd.Int64N(int64(5 * time.Second))))
		p.Kill()
		n := e.Count("MATCH (n) RETURN count(n)")
		t.Logf("kill %d: %d of %d nodes in the graph", i+1, n, len(evs))
		if n == int64(len(evs)) {
			t.Fatalf("the load finished before kill %d: the test proves nothing", i+1)
		}
	}

	e.StartLoader("", env)
	m := e.Loaded("seed", 5*time.Minute)
	t.Logf("loaded counts after five kills: %+v", *m.Nodes)
	if m.Nodes.Created+m.Nodes.Updated < len(evs) || m.Nodes.Stale != 0 {
		t.Errorf("loaded counts %+v: want at least %d created or updated", *m.Nodes, len(evs))
	}
	seedtest.CompareGraph(t, e.Driver, evs, first)
}
