// Command archive is crmgraph's example sink: it archives the CRM
// stream's record events into per-module compressed JSON Lines files (see
// package sinks/archive), from the start of the stream the first time,
// then as they come, until SIGTERM.
//
//	archive --dir /var/lib/crmgraph/archive [--replay] [flags]
//
// Every setting is a flag and a CRMGRAPH_* environment variable; run
// `archive -h` for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/app"
	"github.com/crmgraph/crmgraph/events/sink"
	"github.com/crmgraph/crmgraph/sinks/archive"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "archive:", err)
		}
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := parse(args)
	if err != nil {
		return err
	}
	log, err := app.NewLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	ctx, stop := app.SignalContext(context.Background())
	defer stop()
	log.Info("archive starting", "config", cfg)

	nc, js, err := events.Connect(cfg.NATSURL, "crmgraph-archive")
	if err != nil {
		return err
	}
	defer nc.Drain()
	if err := events.Setup(ctx, js, events.StreamOptions{}); err != nil {
		return err
	}
	reg := app.NewRegistry()
	a, err := archive.Open(cfg.Archive, log, reg)
	if err != nil {
		return err
	}
	defer a.Close()
	s, err := sink.Open(ctx, js, sink.Config{Name: cfg.Name, AckWait: cfg.AckWait,
		Exclusive: true}, log)
	if err != nil {
		return err
	}
	if cfg.Replay {
		if replayed, err := a.ReplayIfEmpty(ctx, s); err != nil {
			return err
		} else if !replayed {
			log.Warn("archive replay skipped: the directory already holds an archive",
				"dir", cfg.Archive.Dir)
		}
	}
	// The watermill subscriber drains its connection when it closes.
	subConn, _, err := events.Connect(cfg.NATSURL, "crmgraph-archive-subscriber")
	if err != nil {
		return err
	}

	health := func(context.Context) error {
		if !nc.IsConnected() {
			return errors.New("NATS is not connected")
		}
		return a.Health()
	}
	go func() {
		if err := app.Serve(ctx, cfg.HTTPAddr, app.Mux(reg, health), log); err != nil {
			log.Error("http server stopped", "err", err)
		}
	}()
	return a.Run(ctx, s, subConn, sink.MessageOptions{})
}
