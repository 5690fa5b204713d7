// Command loader projects the CRM stream's record events into Neo4j nodes.
//
//	loader [run] [flags]                  load until SIGTERM (the default)
//	loader replay [--wipe] [--follow]     rebuild the graph from the stream
//
// Every setting is a flag and a CRMGRAPH_* environment variable; run
// `loader run -h` for the list. The HTTP address serves /metrics, /health
// and the Go profiler under /debug/pprof/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/app"
	"github.com/crmgraph/crmgraph/loader/internal/config"
	"github.com/crmgraph/crmgraph/loader/load"
	"github.com/crmgraph/crmgraph/loader/neo4jw"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "loader:", err)
		}
		os.Exit(1)
	}
}

func run(args []string) error {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if cmd != "run" && cmd != "replay" {
		return fmt.Errorf("unknown command %q: want run or replay", cmd)
	}
	cfg, err := config.Parse(cmd, args, cmd == "replay")
	if err != nil {
		return err
	}
	log, err := app.NewLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	ctx, stop := app.SignalContext(context.Background())
	defer stop()
	log.Info("loader starting", "command", cmd, "config", cfg)

	nc, js, err := events.Connect(cfg.NATSURL, "crmgraph-loader")
	if err != nil {
		return err
	}
	defer nc.Drain()
	if err := events.Setup(ctx, js, events.StreamOptions{}); err != nil {
		return err
	}
	driver, err := neo4j.NewDriverWithContext(cfg.Neo4jURI, auth(cfg),
		func(c *neo4j.Config) { c.MaxTransactionRetryTime = driverRetry })
	if err != nil {
		return fmt.Errorf("creating Neo4j driver for %s: %w", app.RedactURL(cfg.Neo4jURI), err)
	}
	defer driver.Close(context.Background())

	reg := app.NewRegistry()
	w := neo4jw.New(driver, cfg.Neo4jDatabase)
	// Neo4j may still be starting: retry the first contact like any write.
	l, err := backoff.Retry(ctx, func() (*load.Loader, error) {
		return load.New(ctx, js, w, cfg.Load, log, reg)
	}, backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, d time.Duration) {
		log.Warn("loader cannot start yet, retrying", "err", err, "wait", d.String())
	}))
	if err != nil {
		return err
	}

	health := func(ctx context.Context) error {
		if !nc.IsConnected() {
			return errors.New("NATS is not connected")
		}
		return driver.VerifyConnectivity(ctx)
	}
	mux := app.Mux(reg, health)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	go func() {
		if err := app.Serve(ctx, cfg.HTTPAddr, mux, log); err != nil {
			log.Error("http server stopped", "err", err)
		}
	}()

	if cmd == "replay" {
		if err := l.Rewind(ctx, cfg.Wipe); err != nil {
			return err
		}
		if !cfg.Follow {
			return l.Drain(ctx)
		}
	}
	err = l.Run(ctx)
	log.Info("loader stopped")
	return err
}

// driverRetry bounds the driver's own retries of a transaction (deadlocks,
// a dropped connection). Past it the loader's backoff takes over, which
// retries for as long as it takes and says so in the log, so an operator
// sees an outage instead of a silent stall.
const driverRetry = 5 * time.Second

// auth returns basic auth for a configured user, or none.
func auth(cfg config.Config) neo4j.AuthToken {
	if cfg.Neo4jUser == "" {
		return neo4j.NoAuth()
	}
	return neo4j.BasicAuth(cfg.Neo4jUser, cfg.Neo4jPassword, "")
}
