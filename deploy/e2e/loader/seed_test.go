package loader

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/crmgraph/crmgraph/deploy/e2e/loader/seedtest"
	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
)

// TestSeedLoad publishes the seed dataset followed by poison messages (one
// of each kind the loader must refuse), runs the loader binary until the
// run's loaded marker, and checks the graph node by node and property by
// property, and the dead letters. Then it replays the stream with `loader
// replay --wipe` and `loader replay` (no wipe) and checks that the graph
// is the same.
func TestSeedLoad(t *testing.T) {
	evs := seedtest.Seed(t)
	if len(evs) != seedtest.SeedRecords {
		t.Fatalf("simulator gave %d records, want %d", len(evs), seedtest.SeedRecords)
	}
	e := seedtest.NewEnv(t)
	first, _ := e.Publish(evs)
	ps := poisons(t)
	msgs := make([]*nats.Msg, len(ps))
	for i, p := range ps {
		msgs[i] = p.msg
	}
	_, last := e.PublishMsgs(msgs)
	e.Marker("seed", first, last)

	start := time.Now()
	p := e.StartLoader("", nil)
	m := e.Loaded("seed", 3*time.Minute)
	// The marker comes only after the last commit: every node is there.
	if n := e.Count("MATCH (n) RETURN count(n)"); n != seedtest.SeedRecords {
		t.Errorf("%d nodes when the loaded marker appeared, want %d", n, seedtest.SeedRecords)
	}
	t.Logf("seed load by the loader binary: %d records in %.1fs", len(evs),
		time.Since(start).Seconds())
	want := events.NodeCounts{Created: seedtest.SeedRecords, DeadLetters: len(ps)}
	if *m.Nodes != want {
		t.Errorf("loaded counts = %+v, want %+v", *m.Nodes, want)
	}
	if m.FirstSeq != first || m.LastSeq != last || m.Mode != events.ModeFull {
		t.Errorf("loaded marker %+v does not carry the extracted marker's run", m)
	}
	seedtest.CompareGraph(t, e.Driver, evs, first)
	clean := neo4jtest.MustChecksum(t, e.Driver)
	checkDeadLetters(t, e, ps)
	if info := e.ConsumerInfo(); info.NumAckPending != 0 || info.NumPending != 0 {
		t.Errorf("consumer: %d pending, %d in flight; poison must be terminated, not retried",
			info.NumPending, info.NumAckPending)
	}

	if err := p.Term(); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(30 * time.Second); err != nil {
		t.Fatalf("loader after SIGTERM: %v\n%s", err, p.Log())
	}

	for _, args := range [][]string{{"replay", "--wipe"}, {"replay"}} {
		r := e.StartLoader("", nil, args...)
		if err := r.Wait(3 * time.Minute); err != nil {
			t.Fatalf("loader %v: %v\n%s", args, err, r.Log())
		}
		if got := neo4jtest.MustChecksum(t, e.Driver); got != clean {
			t.Errorf("after loader %v: %s, want %s", args, got, clean)
		}
		if r.Lines(`msg="stream drained"`) != 1 {
			t.Errorf("loader %v did not report the drained stream:\n%s", args, r.Log())
		}
	}
}
