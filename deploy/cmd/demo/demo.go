package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/deploy/stack"
	"github.com/crmgraph/crmgraph/events"
)

// demo holds the processes and clients of one demo.
type demo struct {
	p      *stack.Pipeline
	js     jetstream.JetStream
	driver neo4j.DriverWithContext
	procs  []*stack.Proc
}

// start starts the simulator, the loader and the relinker.
func (d *demo) start(ctx context.Context) error {
	fmt.Println("starting the Zoho simulator (seed scale), the loader and the relinker")
	sim, err := d.p.StartSim(ctx)
	if err != nil {
		return err
	}
	d.procs = append(d.procs, sim)
	for _, s := range []struct{ name, addr string }{
		{"loader", "127.0.0.1:9101"}, {"relinker", "127.0.0.1:9102"},
	} {
		proc, err := d.p.StartStage(s.name, s.addr)
		if err != nil {
			return err
		}
		d.procs = append(d.procs, proc)
	}
	fmt.Printf("  simulator %s, loader metrics http://127.0.0.1:9101/metrics, "+
		"relinker metrics http://127.0.0.1:9102/metrics\n", d.p.SimURL)
	return nil
}

// stop stops every process the demo started; NATS and Neo4j stay up.
func (d *demo) stop() {
	for i := len(d.procs) - 1; i >= 0; i-- {
		_ = d.procs[i].Stop(30 * time.Second)
	}
}

// sync runs the extractor once, waits for the run's linked marker and
// prints what every stage did.
func (d *demo) sync(ctx context.Context, mode events.Mode, title string) error {
	fmt.Printf("\n== %s: extractor run --mode %s\n", title, mode)
	start := time.Now()
	extracted, _, err := d.p.Extract(ctx, mode)
	if err != nil {
		return err
	}
	loaded, linked, err := d.p.Markers(ctx, d.js, extracted.Run)
	if err != nil {
		return err
	}
	total := time.Since(start)
	graph, err := stack.CountGraph(ctx, d.driver, "neo4j")
	if err != nil {
		return err
	}

	t := extracted.Totals()
	fmt.Printf("  run %s\n", extracted.Run)
	fmt.Printf("  records   fetched %d, changed %d, unchanged %d, deleted %d\n",
		t.Fetched, t.Changed, t.Unchanged, t.Deleted)
	if n := loaded.Nodes; n != nil {
		fmt.Printf("  nodes     created %d, updated %d, deleted %d, stale %d\n",
			n.Created, n.Updated, n.Deleted, n.Stale)
	}
	if l := linked.Links; l != nil {
		fmt.Printf("  links     created %d, unchanged %d, removed %d, parked %d, released %d\n",
			l.Created, l.Unchanged, l.Removed, l.Parked, l.Released)
	}
	fmt.Printf("  seconds   extract %.2f, load %.2f, link %.2f, end to end %.2f\n",
		extracted.Seconds, stageSeconds(extracted, loaded), stageSeconds(loaded, linked),
		total.Seconds())
	fmt.Printf("  graph     %d nodes, %d relationships\n", graph.Nodes, graph.Relationships)
	return nil
}

// stageSeconds is the time from one stage's marker to the next one's: how
// long the later stage kept the run waiting.
func stageSeconds(before, after *events.Marker) float64 {
	return after.FinishedAt.Sub(before.FinishedAt).Seconds()
}
