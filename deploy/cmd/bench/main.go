// Command bench measures crmgraph on the local stack, as `make bench` does,
// and writes deploy/bench/results/latest.json and a table on stdout. See
// package deploy/bench for the scenarios.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/deploy/bench"
	"github.com/crmgraph/crmgraph/deploy/stack"
	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/app"
	"github.com/crmgraph/crmgraph/loader/load"
	relinkerw "github.com/crmgraph/crmgraph/relinker/neo4jw"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	p := &stack.Pipeline{Source: "zoho"}
	b := &bench.Bench{P: p}
	var out, scenarios, edition, neo4jPIDFile string
	var warmup int
	var base bench.BaselineConfig
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	fs.StringVar(&p.Bin, "bin", "bin", "folder of the stage binaries")
	fs.StringVar(&p.LogDir, "logs", ".run/bench", "folder for the processes' logs")
	fs.StringVar(&p.NATSURL, "nats-url", events.DefaultNATSURL, "NATS server")
	fs.StringVar(&p.Neo4jURI, "neo4j-uri", "bolt://127.0.0.1:7687", "Neo4j server")
	fs.IntVar(&b.Scale, "scale", 1, "dataset scale (1 = 58,741 records; 17 = about 1M)")
	fs.IntVar(&b.Runs, "runs", 3, "runs per scenario")
	fs.IntVar(&warmup, "warmup", 1, "full syncs run first and not recorded, to warm Neo4j up")
	fs.StringVar(&neo4jPIDFile, "neo4j-pid-file", ".run/neo4j/neo4j.pid",
		"file holding the Neo4j server's process id, for its CPU time (\"\": not measured)")
	fs.StringVar(&out, "out", "deploy/bench/results/latest.json", "results file")
	fs.StringVar(&scenarios, "scenarios", "full,noop,incremental,replay,baseline,zoho",
		"scenarios to run, in this order")
	fs.StringVar(&edition, "zoho-edition", "enterprise", "edition of the zoho scenario")
	fs.IntVar(&base.ChunkSize, "chunk", load.DefaultChunkSize,
		"the loader's chunk size, for the baseline")
	fs.IntVar(&base.Writers, "writers", load.DefaultWriters,
		"the loader's writers, for the baseline")
	fs.DurationVar(&base.Settle, "settle", 2*time.Second,
		"the baseline's untimed wait between its nodes and its relationships")
	fs.IntVar(&base.RelBatch, "rel-batch", relinkerw.DefaultBatchSize,
		"the relinker's batch size, for the baseline")
	fs.IntVar(&base.RelParallel, "rel-parallel", relinkerw.DefaultParallel,
		"the relinker's parallelism, for the baseline")
	_ = fs.Parse(os.Args[1:])

	log, _ := app.NewLogger(os.Stderr, "text", "info")
	b.Log = log
	ctx, cancel := app.SignalContext(context.Background())
	defer cancel()

	nc, js, err := events.Connect(p.NATSURL, "crmgraph-bench")
	if err != nil {
		return err
	}
	defer nc.Close()
	b.JS = js
	b.Driver, err = neo4j.NewDriverWithContext(p.Neo4jURI, neo4j.NoAuth())
	if err != nil {
		return fmt.Errorf("connecting to Neo4j at %s: %w", p.Neo4jURI, err)
	}
	defer b.Driver.Close(context.Background())

	if _, err := p.StartSim(ctx, "-scale", strconv.Itoa(b.Scale), "-refresh-limit", "-1"); err != nil {
		return err
	}
	defer p.StopSim()

	b.Neo4jPID = readPID(neo4jPIDFile, log)
	if err := b.Warmup(ctx, warmup); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}

	var results []*bench.Result
	var baseline *bench.Result
	for _, name := range strings.Split(scenarios, ",") {
		log.Info("scenario", "name", name, "scale", b.Scale, "runs", b.Runs)
		var r *bench.Result
		switch name {
		case "full":
			r, err = b.Full(ctx)
		case "noop":
			r, err = b.Noop(ctx)
		case "incremental":
			r, err = b.Incremental(ctx)
		case "replay":
			r, err = b.Replay(ctx)
		case "baseline":
			r, err = b.Baseline(ctx, base)
			baseline = r
		case "zoho":
			r, err = b.Zoho(ctx, edition, editionConcurrency(edition), 300*time.Millisecond)
		default:
			return fmt.Errorf("unknown scenario %q", name)
		}
		if err != nil {
			return fmt.Errorf("scenario %s: %w", name, err)
		}
		results = append(results, r)
	}
	bench.Ratios(results, baseline)
	bench.WriteTable(os.Stdout, results)
	if err := bench.WriteJSON(out, results); err != nil {
		return err
	}
	fmt.Println("results:", out)
	return nil
}

// editionConcurrency is Zoho's concurrency limit per edition.
func editionConcurrency(edition string) int {
	return map[string]int{"free": 5, "standard": 10, "professional": 15,
		"enterprise": 20, "ultimate": 25}[edition]
}

// readPID reads a process id from path; 0 when path is empty, unreadable,
// or names no running process, which the log says.
func readPID(path string, log *slog.Logger) int {
	if path == "" {
		return 0
	}
	b, err := os.ReadFile(path)
	if err != nil {
		log.Warn("Neo4j's CPU time will not be measured", "error", err)
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err == nil {
		_, err = os.Stat("/proc/" + strconv.Itoa(pid))
	}
	if err != nil {
		log.Warn("Neo4j's CPU time will not be measured", "pid file", path, "error", err)
		return 0
	}
	return pid
}
