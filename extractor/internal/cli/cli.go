// Package cli wires the extractor binary: it reads the settings, connects
// to NATS and Zoho, and runs the subcommand (run or serve).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/app"
	"github.com/crmgraph/crmgraph/extractor/internal/config"
	"github.com/crmgraph/crmgraph/extractor/internal/lease"
	"github.com/crmgraph/crmgraph/extractor/internal/metrics"
	"github.com/crmgraph/crmgraph/extractor/internal/publish"
	"github.com/crmgraph/crmgraph/extractor/internal/run"
	"github.com/crmgraph/crmgraph/extractor/internal/trigger"
	"github.com/crmgraph/crmgraph/extractor/zoho"
)

// Exit codes of the extractor.
const (
	// ExitOK: the run published its extracted marker, or serve ended cleanly.
	ExitOK = 0
	// ExitFailed: the run failed and published its failed marker.
	ExitFailed = 1
	// ExitUsage: a setting is missing or invalid.
	ExitUsage = 2
	// ExitBusy: another run of the source is in progress.
	ExitBusy = 3
)

const usage = `usage: extractor run [--mode full|incremental] [flags]
       extractor serve [flags]

Run "extractor run -h" or "extractor serve -h" for the flags.`

// Main runs the extractor with args (without the program name) and returns
// its exit code. Log lines go to w.
func Main(ctx context.Context, args []string, w io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(w, usage)
		return ExitUsage
	}
	cmd := config.Command(args[0])
	if cmd != config.CommandRun && cmd != config.CommandServe {
		fmt.Fprintf(w, "extractor: unknown command %q\n%s\n", args[0], usage)
		return ExitUsage
	}
	cfg, err := config.Parse(cmd, args[1:])
	if err != nil {
		fmt.Fprintf(w, "extractor %s: %v\n", cmd, err)
		return ExitUsage
	}
	log, err := app.NewLogger(w, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		fmt.Fprintf(w, "extractor: %v\n", err)
		return ExitUsage
	}
	ctx, stop := app.SignalContext(ctx)
	defer stop()
	if cmd == config.CommandRun {
		return runOnce(ctx, cfg, log)
	}
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("extractor stopped", "error", err)
		return ExitFailed
	}
	return ExitOK
}

// stage is what both subcommands build: connections, client and runner.
type stage struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	reg    *prometheus.Registry
	runner *run.Runner
}

func open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*stage, error) {
	nc, js, err := events.Connect(cfg.NATSURL, "crmgraph-extractor")
	if err != nil {
		return nil, err
	}
	if err := events.Setup(ctx, js, events.StreamOptions{Replicas: cfg.Replicas}); err != nil {
		nc.Close()
		return nil, err
	}
	reg := app.NewRegistry()
	met := metrics.New(reg)
	zc := cfg.Zoho
	zc.Hooks = met.ZohoHooks()
	client, err := zoho.New(zc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	runner, err := run.New(ctx, run.Config{
		Source:   cfg.Source,
		Modules:  cfg.Modules,
		Overlap:  cfg.Overlap,
		Publish:  publish.Options{Window: cfg.Window, StallWait: cfg.StallWait},
		Progress: cfg.Progress,
	}, run.Deps{Zoho: client, Conn: nc, JS: js, Log: log, Metrics: met})
	if err != nil {
		nc.Close()
		return nil, err
	}
	log.Info("extractor started", "config", cfg, "zoho_concurrency", client.Concurrency())
	return &stage{nc: nc, js: js, reg: reg, runner: runner}, nil
}

// health reports whether NATS is reachable.
func (s *stage) health(context.Context) error {
	if !s.nc.IsConnected() {
		return fmt.Errorf("NATS: %s", s.nc.Status())
	}
	return nil
}

// runOnce runs once and maps the outcome to an exit code.
func runOnce(ctx context.Context, cfg *config.Config, log *slog.Logger) int {
	s, err := open(ctx, cfg, log)
	if err != nil {
		log.Error("extractor not started", "error", err)
		return ExitFailed
	}
	defer s.nc.Close()
	if cfg.HTTPAddr != "" {
		hctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			if err := app.Serve(hctx, cfg.HTTPAddr, app.Mux(s.reg, s.health), log); err != nil {
				log.Warn("http server stopped", "error", err)
			}
		}()
	}
	_, err = s.runner.Once(ctx, cfg.Mode)
	var held *lease.HeldError
	switch {
	case errors.As(err, &held):
		log.Error("run refused", "error", err)
		return ExitBusy
	case err != nil:
		return ExitFailed
	}
	return ExitOK
}

// serve runs the schedule and the HTTP trigger until ctx ends, then
// interrupts the run in progress and waits for it.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	s, err := open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.nc.Close()
	svc := trigger.New(ctx, s.runner, s.js, log)
	defer svc.Close()
	sched, err := svc.Schedule(cfg.Schedule, cfg.FullSchedule)
	if err != nil {
		return err
	}
	defer sched.Stop()
	mux := app.Mux(s.reg, s.health)
	svc.Routes(mux, cfg.APIKey, s.health)
	if cfg.APIKey == "" && cfg.HTTPAddr != "" {
		log.Warn("trigger served without an API key", "http", cfg.HTTPAddr)
	}
	err = app.Serve(ctx, cfg.HTTPAddr, http.Handler(mux), log)
	log.Info("extractor stopping")
	return err
}
