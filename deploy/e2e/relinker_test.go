package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
	"github.com/crmgraph/crmgraph/relinker/neo4jw"
	"github.com/crmgraph/crmgraph/relinker/relink"
)

// TestRelinkerSeedScale relinks the simulator's seed dataset and checks
// the graph against the simulator's own links after every step: a full
// run, the same run again, an incremental run after contacts moved and
// accounts were deleted, and a full relink from the stream into a graph
// without relationships.
func TestRelinkerSeedScale(t *testing.T) {
	ctx := context.Background()
	e := relinkerSetup(t)
	r, w := e.relinker(t, neo4jw.DefaultBatchSize, neo4jw.DefaultParallel,
		relink.DefaultChunkSize)

	recs := e.allRecords(t)
	full := e.publishRun(t, "full1", recs)
	e.loadNodes(t, recs)
	want := relinkerWant(t, e.sim)
	if len(want) != 73720 {
		t.Fatalf("simulator implies %d relationships, want 73,720 at seed scale", len(want))
	}

	t.Run("full run", func(t *testing.T) {
		start := time.Now()
		linked, err := r.HandleMarker(ctx, full)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("relinked %d records in %.2fs: %+v, %d retries", len(recs),
			time.Since(start).Seconds(), *linked.Links, w.Retries())
		if got := *linked.Links; got != (events.LinkCounts{Created: 73720}) {
			t.Fatalf("counts %+v, want 73,720 created and nothing parked", got)
		}
		relinkerSame(t, relinkerGraph(t, e.driver), want)
	})

	t.Run("same run again", func(t *testing.T) {
		linked, err := r.HandleMarker(ctx, full)
		if err != nil {
			t.Fatal(err)
		}
		if got := *linked.Links; got != (events.LinkCounts{Unchanged: 73720}) {
			t.Fatalf("counts %+v, want all 73,720 unchanged", got)
		}
		relinkerSame(t, relinkerGraph(t, e.driver), want)
	})

	t.Run("incremental run after moves and deletions", func(t *testing.T) {
		moved, err := e.sim.Mutate(zohosim.MutateSpec{Update: 0.01,
			Modules: []string{"Contacts"}})
		if err != nil {
			t.Fatal(err)
		}
		deleted, err := e.sim.Mutate(zohosim.MutateSpec{Delete: 0.01,
			Modules: []string{"Accounts"}})
		if err != nil {
			t.Fatal(err)
		}
		var inc []relinkerRecord
		for _, ch := range []zohosim.Changes{moved, deleted} {
			for _, m := range e.modules() {
				for _, id := range ch.Modified(m) {
					rec, err := e.sim.Record(m, id)
					if err != nil {
						t.Fatal(err)
					}
					inc = append(inc, relinkerRecord{module: m, id: id, body: relinkerJSON(t, rec)})
				}
				for _, id := range ch.Deleted[m] {
					inc = append(inc, relinkerRecord{module: m, id: id})
				}
			}
		}
		marker := e.publishRun(t, "inc1", inc)
		e.loadNodes(t, inc)
		start := time.Now()
		linked, err := r.HandleMarker(ctx, marker)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("incremental run of %d records relinked in %.3fs: %+v", len(inc),
			time.Since(start).Seconds(), *linked.Links)
		want = relinkerWant(t, e.sim)
		relinkerSame(t, relinkerGraph(t, e.driver), want)
		if linked.Links.Parked != 0 || linked.Links.Created == 0 || linked.Links.Removed == 0 {
			t.Fatalf("counts %+v: want some created and removed, none parked", *linked.Links)
		}
	})

	t.Run("full relink with parallel partitions", func(t *testing.T) {
		e.cypher(t, "MATCH ()-[r]->() DELETE r", nil)
		retries := w.Retries()
		start := time.Now()
		counts, err := r.RelinkAll(ctx)
		if err != nil {
			t.Fatalf("full relink failed (a failed transaction fails it): %v", err)
		}
		t.Logf("full relink of %d relationships in %.2fs with parallel %d: %d retries %v",
			counts.Created, time.Since(start).Seconds(), neo4jw.DefaultParallel,
			w.Retries()-retries, w.Failures())
		if counts.Created != len(want) || counts.Parked != 0 {
			t.Fatalf("counts %+v, want %d created", counts, len(want))
		}
		relinkerSame(t, relinkerGraph(t, e.driver), want)
	})
}
