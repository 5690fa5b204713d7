package e2e

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/events/neo4jtest"
	"github.com/crmgraph/crmgraph/relinker/neo4jw"
)

// relinkerBenchRels turns the simulator's links into the writer's rows.
func relinkerBenchRels(b *testing.B, e *relinkerEnv) []neo4jw.Rel {
	b.Helper()
	var rels []neo4jw.Rel
	for _, s := range relinkerWant(b, e.sim) {
		// "From:id -TYPE/field-> To:id"
		var r neo4jw.Rel
		from, rest, _ := strings.Cut(s, " -")
		mid, to, _ := strings.Cut(rest, "-> ")
		r.FromLabel, r.FromID, _ = strings.Cut(from, ":")
		r.Type, r.Field, _ = strings.Cut(mid, "/")
		r.ToLabel, r.ToID, _ = strings.Cut(to, ":")
		rels = append(rels, r)
	}
	return rels
}

// BenchmarkRelinkerWrite writes the seed dataset's 73,720 relationships
// into a graph that has its nodes and no relationships: with the
// relinker's planned writer (CREATE, as a run's diff uses it, at several
// batch sizes and parallelisms; MERGE at the default), with a bare writer
// (the same statement per batch of 5,000 rows of one type, sorted,
// sequential, no planning, no missing-node check) as the baseline, and
// through the whole handler (stream read, derive, write, linked marker).
// Run with -benchtime=1x or more; it prints relationships per second.
func BenchmarkRelinkerWrite(b *testing.B) {
	e := relinkerSetup(b)
	recs := e.allRecords(b)
	e.loadNodes(b, recs)
	rels := relinkerBenchRels(b, e)
	ctx := context.Background()
	clear := func() {
		e.cypher(b, "MATCH ()-[r]->() DELETE r", nil)
	}
	measure := func(b *testing.B, write func() int) {
		var elapsed time.Duration
		for range b.N {
			clear()
			start := time.Now()
			if n := write(); n != len(rels) {
				b.Fatalf("wrote %d of %d relationships", n, len(rels))
			}
			elapsed += time.Since(start)
		}
		b.ReportMetric(float64(len(rels)*b.N)/elapsed.Seconds(), "rels/s")
	}
	planned := func(batch, parallel int, merge bool) func(*testing.B) {
		return func(b *testing.B) {
			w, err := neo4jw.New(e.driver, neo4jw.Config{Database: neo4jtest.Database,
				BatchSize: batch, Parallel: parallel})
			if err != nil {
				b.Fatal(err)
			}
			write := w.Create
			if merge {
				write = w.Merge
			}
			measure(b, func() int {
				res, err := write(ctx, relinkerSource, rels)
				if err != nil {
					b.Fatal(err)
				}
				return res.Created
			})
			b.ReportMetric(float64(w.Retries()), "retries")
			if f := w.Failures(); len(f) > 0 {
				b.Logf("failed attempts by error code: %v", f)
			}
		}
	}

	for _, batch := range []int{2000, 5000, 10000} {
		for _, parallel := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("create/batch=%d/parallel=%d", batch, parallel),
				planned(batch, parallel, false))
		}
	}
	b.Run(fmt.Sprintf("merge/batch=%d/parallel=%d", neo4jw.DefaultBatchSize,
		neo4jw.DefaultParallel), planned(neo4jw.DefaultBatchSize, neo4jw.DefaultParallel, true))
	for _, verb := range []string{"CREATE", "MERGE"} {
		b.Run("bare/"+strings.ToLower(verb)+"/batch=5000", func(b *testing.B) {
			measure(b, func() int { return relinkerBareWrite(b, e.driver, rels, 5000, verb) })
		})
	}

	marker := e.publishRun(b, "bench", recs)
	for _, chunk := range []int{20000, 100000} {
		b.Run(fmt.Sprintf("handler/batch=%d/parallel=%d/chunk=%d", neo4jw.DefaultBatchSize,
			neo4jw.DefaultParallel, chunk), func(b *testing.B) {
			r, _ := e.relinker(b, neo4jw.DefaultBatchSize, neo4jw.DefaultParallel, chunk)
			measure(b, func() int {
				linked, err := r.HandleMarker(ctx, marker)
				if err != nil {
					b.Fatal(err)
				}
				return linked.Links.Created
			})
		})
	}
}

// relinkerBareWrite is the baseline: the same statement as the
// relinker's (verb CREATE or MERGE), one batch after the other. It returns
// the relationships created.
func relinkerBareWrite(b *testing.B, d neo4j.DriverWithContext, rels []neo4jw.Rel, size int,
	verb string) int {
	b.Helper()
	sorted := slices.Clone(rels)
	slices.SortFunc(sorted, func(x, y neo4jw.Rel) int {
		return cmp.Or(cmp.Compare(x.FromLabel, y.FromLabel), cmp.Compare(x.Type, y.Type),
			cmp.Compare(x.ToLabel, y.ToLabel), cmp.Compare(x.Field, y.Field),
			cmp.Compare(x.FromID, y.FromID))
	})
	created := 0
	for start := 0; start < len(sorted); {
		first := sorted[start]
		end := start
		var rows []any
		for end < len(sorted) && end-start < size && sorted[end].FromLabel == first.FromLabel &&
			sorted[end].Type == first.Type && sorted[end].ToLabel == first.ToLabel &&
			sorted[end].Field == first.Field {
			rows = append(rows, map[string]any{"f": sorted[end].FromID, "t": sorted[end].ToID})
			end++
		}
		q := "UNWIND $rows AS row MATCH (a:" + first.FromLabel + " {id: row.f}) " +
			"MATCH (b:" + first.ToLabel + " {id: row.t}) " +
			verb + " (a)-[r:" + first.Type + " {_field: $field, _source: $source}]->(b)"
		res, err := neo4j.ExecuteQuery(context.Background(), d, q, map[string]any{"rows": rows,
			"field": first.Field, "source": relinkerSource}, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(neo4jtest.Database))
		if err != nil {
			b.Fatal(err)
		}
		created += res.Summary.Counters().RelationshipsCreated()
		start = end
	}
	return created
}
