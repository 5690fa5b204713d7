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

// printTour prints how to look around after the demo.
func printTour(p *stack.Pipeline) {
	nats := ".tools/bin/nats -s " + p.NATSURL
	fmt.Printf(`
== look around (NATS and Neo4j keep running; 'make down' stops them)
  the stream             %[1]s stream info CRM
  stage consumers        %[1]s consumer report CRM
  the run markers        %[1]s stream subjects CRM 'crm.run.>'
  a marker               %[1]s stream get CRM --last-for 'crm.run.zoho.*.linked'
  one record's event     %[1]s stream get CRM --last-for 'crm.rec.zoho.Contacts.<id>'
  dead letters           %[1]s stream subjects CRM 'crm.dlq.>'
  Neo4j                  %[2]s (no auth, database neo4j), for example with cypher-shell or
                         the Go driver:
    MATCH (n) RETURN labels(n)[0] AS label, count(*) ORDER BY label
    MATCH ()-[r]->() RETURN type(r), count(*) ORDER BY type(r)
    MATCH (c:Contact)-[:WORKS_AT]->(a:Account) RETURN a.Account_Name, count(c) AS people
      ORDER BY people DESC LIMIT 5
`, nats, p.Neo4jURI)
}
