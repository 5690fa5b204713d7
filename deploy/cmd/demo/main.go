// Command demo runs crmgraph end to end on the local stack, as `make demo`
// does: the Zoho simulator at seed scale, the loader and the relinker as
// separate processes, a full sync with `extractor run --mode full`, then 1%
// of the simulated CRM changed and an incremental sync. It prints what each
// run did and how to look around, and leaves NATS and Neo4j running.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/deploy/stack"
	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/app"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	p := &stack.Pipeline{Source: "zoho"}
	fs := flag.NewFlagSet("demo", flag.ExitOnError)
	fs.StringVar(&p.Bin, "bin", "bin", "folder of the stage binaries")
	fs.StringVar(&p.LogDir, "logs", ".run/demo", "folder for the processes' logs")
	fs.StringVar(&p.NATSURL, "nats-url", events.DefaultNATSURL, "NATS server")
	fs.StringVar(&p.Neo4jURI, "neo4j-uri", "bolt://127.0.0.1:7687", "Neo4j server")
	natsBin := fs.String("nats", ".tools/bin/nats", "the nats CLI, for the tour")
	_ = fs.Parse(os.Args[1:])

	ctx, cancel := app.SignalContext(context.Background())
	defer cancel()
	ctx, timeout := context.WithTimeout(ctx, 10*time.Minute)
	defer timeout()

	nc, js, err := events.Connect(p.NATSURL, "crmgraph-demo")
	if err != nil {
		return err
	}
	defer nc.Close()
	driver, err := neo4j.NewDriverWithContext(p.Neo4jURI, neo4j.NoAuth())
	if err != nil {
		return fmt.Errorf("connecting to Neo4j at %s: %w", p.Neo4jURI, err)
	}
	defer driver.Close(context.Background())

	d := &demo{p: p, js: js, driver: driver}
	defer d.stop()
	if err := d.start(ctx); err != nil {
		return err
	}
	if err := d.sync(ctx, events.ModeFull, "full sync of the simulated CRM"); err != nil {
		return err
	}
	changes, err := p.Mutate(ctx, 0.01, 0, 0)
	if err != nil {
		return err
	}
	fmt.Printf("\nchanged 1%% of the simulated CRM (%d bytes of change report in %s)\n",
		len(changes), p.LogDir)
	_ = os.WriteFile(p.LogDir+"/changes.json", changes, 0o644)
	if err := d.sync(ctx, events.ModeIncremental, "incremental sync"); err != nil {
		return err
	}
	return d.tour(ctx, *natsBin)
}
