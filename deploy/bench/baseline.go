package bench

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crmgraph/crmgraph/events/graph"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
	loaderw "github.com/crmgraph/crmgraph/loader/neo4jw"
	"github.com/crmgraph/crmgraph/relinker/mapping"
	relinkerw "github.com/crmgraph/crmgraph/relinker/neo4jw"
	relinkstream "github.com/crmgraph/crmgraph/relinker/stream"
)

// BaselineConfig is the batching the stages use, so that the baseline
// writes with the same statements and the same batch sizes.
type BaselineConfig struct {
	// ChunkSize is the loader's chunk size: nodes per transaction.
	ChunkSize int
	// Writers is the loader's writers: chunks written at once.
	Writers int
	// Settle is how long the baseline waits, untimed, between the nodes
	// and the relationships: about what a full sync's relinker spends
	// reading the stream between the loaded marker and its first write.
	// Without it, relationship writes that start the moment 58,741 nodes
	// are written take three times as long, with Neo4j idle in between
	// (measured on 2026-12-04; the cause is not yet known).
	Settle time.Duration
	// RelBatch and RelParallel are the relinker's writer settings.
	RelBatch    int
	RelParallel int
}

// memory is the seed dataset mapped to rows, ready to write.
type memory struct {
	nodes []nodeRow
	rels  []relinkerw.Rel
}

type nodeRow struct {
	label string
	row   loaderw.Row
}

// Baseline writes the nodes and relationships of a full sync straight from
// memory into an empty graph with the stages' own writers: the bare write
// limit the pipeline is compared with. Building the rows (generating the
// records, mapping properties, deriving links) happens before the clock
// starts. It needs the module schemas a full sync put on the stream, to
// find the custom lookups as the relinker does.
func (b *Bench) Baseline(ctx context.Context, cfg BaselineConfig) (*Result, error) {
	mem, err := b.buildMemory(ctx)
	if err != nil {
		return nil, err
	}
	b.stopStages()
	r := &Result{Scenario: "baseline", Scale: b.Scale, Records: len(mem.nodes),
		Nodes: len(mem.nodes), Relationships: len(mem.rels)}
	r.GraphWrites = r.Nodes + r.Relationships
	var seconds []float64
	for i := range b.Runs {
		if err := b.wipeGraph(ctx); err != nil {
			return nil, err
		}
		cpu0 := b.neo4jCPU()
		nodeSeconds, relSeconds, err := b.writeMemory(ctx, mem, cfg)
		if err != nil {
			return nil, err
		}
		seconds = append(seconds, nodeSeconds+relSeconds)
		// The split of the last run, to compare with a full sync's stages.
		r.Extra = map[string]float64{"node_seconds": nodeSeconds,
			"relationship_seconds": relSeconds}
		r.cpu("neo4j", b.neo4jCPU()-cpu0)
		b.Log.Info("baseline", "run", i+1, "seconds", seconds[len(seconds)-1],
			"node_seconds", nodeSeconds)
	}
	r.summarize(seconds)
	return r, nil
}

func (b *Bench) buildMemory(ctx context.Context) (*memory, error) {
	sim, err := zohosim.New(zohosim.Config{Scale: b.Scale})
	if err != nil {
		return nil, err
	}
	schemas, err := relinkstream.NewReader(b.JS).Schemas(ctx, b.P.Source)
	if err != nil {
		return nil, fmt.Errorf("reading the module schemas for the baseline: %w", err)
	}
	m, err := mapping.Build(mapping.Defaults(), schemas, nil)
	if err != nil {
		return nil, err
	}
	mem := &memory{}
	var props graph.Mapping
	seq := int64(0)
	now := time.Now()
	modules := append([]string{"Users"}, sim.Modules()...)
	for _, module := range modules {
		mod, err := m.Module(module)
		if err != nil {
			return nil, err
		}
		var links []mapping.Link
		err = sim.EachRecordJSON(module, func(id string, body []byte) error {
			seq++
			p, err := props.Properties(body)
			if err != nil {
				return fmt.Errorf("mapping %s %s: %w", module, id, err)
			}
			delete(p, graph.PropID)
			p[graph.PropSource] = b.P.Source
			p[graph.PropSeq] = seq
			p[graph.PropRun] = "baseline"
			p[graph.PropModified] = graph.Offset(now)
			mem.nodes = append(mem.nodes, nodeRow{mod.Label,
				loaderw.Row{ID: id, Seq: seq, Group: "baseline", Props: p}})
			links, _, err = mod.Derive(id, body, links[:0])
			for _, l := range links {
				mem.rels = append(mem.rels, relinkerw.Rel{FromLabel: l.FromLabel,
					FromID: l.FromID, Field: l.Field, Type: l.Type, ToLabel: l.ToLabel,
					ToID: l.ToID})
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return mem, nil
}

// writeMemory writes the nodes in chunks of the loader's size, one
// transaction each and as many at once as the loader writes, then the
// relationships with the relinker's writer.
// It returns the seconds the nodes and the relationships took. Between the
// two it waits, untimed, as long as a full sync's relinker spends reading
// the stream before it writes (BaselineConfig.Settle).
func (b *Bench) writeMemory(ctx context.Context, mem *memory, cfg BaselineConfig) (nodeSeconds,
	relSeconds float64, err error) {
	start := time.Now()
	nw := loaderw.New(b.Driver, "neo4j")
	if err := nw.Prepare(ctx); err != nil {
		return 0, 0, err
	}
	if err := writeNodes(ctx, nw, mem.nodes, cfg); err != nil {
		return 0, 0, fmt.Errorf("writing baseline nodes: %w", err)
	}
	nodeSeconds = time.Since(start).Seconds()
	select {
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	case <-time.After(cfg.Settle):
	}

	start = time.Now()
	rw, err := relinkerw.New(b.Driver, relinkerw.Config{Database: "neo4j",
		BatchSize: cfg.RelBatch, Parallel: cfg.RelParallel})
	if err != nil {
		return 0, 0, err
	}
	res, err := rw.Create(ctx, b.P.Source, mem.rels)
	if err != nil {
		return 0, 0, fmt.Errorf("writing baseline relationships: %w", err)
	}
	if n := len(res.MissingEnd) + len(res.MissingStart); n > 0 {
		return 0, 0, fmt.Errorf("baseline: %d relationships found no node to join", n)
	}
	return nodeSeconds, time.Since(start).Seconds(), nil
}

// writeNodes writes rows in chunks of cfg.ChunkSize, cfg.Writers chunks at
// once, as the loader's writers do.
func writeNodes(ctx context.Context, w *loaderw.Writer, rows []nodeRow,
	cfg BaselineConfig) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(cfg.Writers, 1))
	for start := 0; start < len(rows); start += cfg.ChunkSize {
		batch := loaderw.NewBatch()
		for _, n := range rows[start:min(start+cfg.ChunkSize, len(rows))] {
			batch.Upsert(n.label, n.row)
		}
		g.Go(func() error {
			_, err := w.Write(ctx, batch)
			return err
		})
	}
	return g.Wait()
}
