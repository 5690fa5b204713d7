// Package cli is the relinker binary: its subcommands (run, relink --all,
// parked), the wiring of NATS, Neo4j and the stage logic, and the process
// plumbing (signals, /metrics, health).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/crmgraph/crmgraph/events/app"
	"github.com/crmgraph/crmgraph/relinker/internal/config"
)

const usage = `usage: relinker [run|relink --all|parked] [flags]

  run            handle loaded markers until stopped (the default)
  relink --all   rebuild every relationship of --source from the stream
  parked         list the parked relationships of --source
`

// Main runs the relinker with args (without the program name) and
// returns the process exit code: 0 on success, 1 on failure, 2 on bad
// usage or configuration.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("relinker "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	cfg, settings := config.Bind(fs)
	all := false
	if cmd == "relink" {
		fs.BoolVar(&all, "all", false, "rebuild every relationship (required)")
	}
	jsonOut := false
	if cmd == "parked" {
		fs.BoolVar(&jsonOut, "json", false, "print one JSON entry per line")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg.InheritLabels()
	err := errors.Join(settings.Err(), cfg.Validate())
	if err == nil && cmd == "relink" && !all {
		err = errors.New("relink: --all is required")
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	log, logErr := app.NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	if err = errors.Join(err, logErr); err != nil {
		fmt.Fprintf(stderr, "relinker: %v\n", err)
		return 2
	}

	ctx, stop := app.SignalContext(ctx)
	defer stop()
	switch cmd {
	case "run":
		err = run(ctx, cfg, log)
	case "relink":
		err = relinkAll(ctx, cfg, log, stdout)
	case "parked":
		err = listParked(ctx, cfg, log, stdout, jsonOut)
	default:
		fmt.Fprintf(stderr, "relinker: unknown command %q\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		log.Error("relinker failed", "command", cmd, "error", err)
		return 1
	}
	return 0
}
