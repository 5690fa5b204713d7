// Package order shows at seed scale that the graph does not depend on the
// order in which versions reach Neo4j: the same versions twice, in any
// order, or older versions (upserts and deletes) after newer ones give the
// same graph, through the very writer and statements the loader uses.
package order

import (
	"context"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/crmgraph/crmgraph/deploy/e2e/loader/seedtest"
	"github.com/crmgraph/crmgraph/events/graph"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
	"github.com/crmgraph/crmgraph/loader/neo4jw"
)

// versions are the seed records as the newer versions (even sequences)
// and an older version of each (the odd sequence just below, with other
// values), plus an older tombstone for every tenth record.
type versions struct {
	newer, older, tombstones []seedtest.Row
}

func build(t *testing.T) versions {
	t.Helper()
	rows := seedtest.MapRows(t, seedtest.Seed(t))
	var v versions
	for i, r := range rows {
		seq := 2 * r.Row.Seq
		newer := withSeq(r, seq, nil)
		older := withSeq(r, seq-1, map[string]any{"Description": "an older version",
			"Extra_Field": int64(i)})
		v.newer = append(v.newer, newer)
		v.older = append(v.older, older)
		if i%10 == 0 {
			v.tombstones = append(v.tombstones, seedtest.Row{Label: r.Label, Row: neo4jw.Row{
				ID: r.Row.ID, Seq: seq - 1, Group: "old",
				Props: map[string]any{graph.PropSeq: seq - 1, graph.PropSource: "zoho"}}})
		}
	}
	return v
}

// withSeq copies a row with another sequence and some properties changed.
func withSeq(r seedtest.Row, seq int64, change map[string]any) seedtest.Row {
	props := maps.Clone(r.Row.Props)
	maps.Copy(props, change)
	props[graph.PropSeq] = seq
	out := r
	out.Row = neo4jw.Row{ID: r.Row.ID, Seq: seq, Group: r.Row.Group, Props: props}
	return out
}

func TestOrderAndRepeats(t *testing.T) {
	v := build(t)
	e := seedtest.NewEnv(t)
	ctx := context.Background()
	writer := func() *neo4jw.Writer {
		w := neo4jw.New(e.Driver, neo4jtest.Database)
		if err := w.Prepare(ctx); err != nil {
			t.Fatal(err)
		}
		return w
	}
	n := len(v.newer)

	w := writer()
	if c := seedtest.BareLoad(t, w, v.newer, 1000); c != (neo4jw.Counts{Created: n}) {
		t.Fatalf("clean load counts %+v, want %d created", c, n)
	}
	clean := neo4jtest.MustChecksum(t, e.Driver)
	if clean.Nodes != n {
		t.Fatalf("clean load: %s, want %d nodes", clean, n)
	}

	t.Run("twice", func(t *testing.T) {
		c := seedtest.BareLoad(t, w, v.newer, 1000)
		if c != (neo4jw.Counts{Updated: n}) {
			t.Errorf("second load counts %+v, want %d updated", c, n)
		}
		if got := neo4jtest.MustChecksum(t, e.Driver); got != clean {
			t.Errorf("after loading twice: %s, want %s", got, clean)
		}
	})
	t.Run("older after newer", func(t *testing.T) {
		c := seedtest.BareLoad(t, w, v.older, 1000)
		if c != (neo4jw.Counts{Stale: n}) {
			t.Errorf("older upserts counts %+v, want %d stale", c, n)
		}
		var d neo4jw.Counts
		for start := 0; start < len(v.tombstones); start += 1000 {
			b := neo4jw.NewBatch()
			for _, r := range v.tombstones[start:min(start+1000, len(v.tombstones))] {
				b.Delete(r.Label, r.Row)
			}
			res, err := w.Write(ctx, b)
			if err != nil {
				t.Fatal(err)
			}
			d.Add(res.Total)
		}
		if d != (neo4jw.Counts{Stale: len(v.tombstones)}) {
			t.Errorf("older tombstones counts %+v, want %d stale", d, len(v.tombstones))
		}
		if got := neo4jtest.MustChecksum(t, e.Driver); got != clean {
			t.Errorf("after older versions: %s, want %s", got, clean)
		}
	})
	t.Run("shuffled with older versions mixed in", func(t *testing.T) {
		if err := neo4jtest.Wipe(ctx, e.Driver); err != nil {
			t.Fatal(err)
		}
		// Every version of every record, in random order, one version of
		// a record per chunk at most (the loader keeps one per chunk).
		all := append(append([]seedtest.Row{}, v.newer...), v.older...)
		rnd := rand.New(rand.NewPCG(1, 2))
		rnd.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		w := writer()
		for len(all) > 0 {
			b, seen, rest := neo4jw.NewBatch(), map[string]bool{}, all[:0]
			for _, r := range all {
				if b.Len() < 1000 && !seen[r.Row.ID] {
					seen[r.Row.ID] = true
					b.Upsert(r.Label, r.Row)
				} else {
					rest = append(rest, r)
				}
			}
			if _, err := w.Write(ctx, b); err != nil {
				t.Fatal(err)
			}
			all = rest
		}
		if got := neo4jtest.MustChecksum(t, e.Driver); got != clean {
			t.Errorf("after a shuffled load: %s, want %s", got, clean)
		}
	})
}
