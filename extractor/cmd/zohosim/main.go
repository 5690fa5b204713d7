// Command zohosim serves a simulated Zoho CRM organisation (accounts server and v8
// API on one address) for tests, the demo and benchmarks. It prints "READY <url>" on
// stdout once it listens and stops on SIGINT or SIGTERM.
//
// Every flag can also be set with an environment variable CRMGRAPH_ZOHOSIM_<NAME>,
// e.g. CRMGRAPH_ZOHOSIM_SCALE=17; a flag given on the command line wins.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "zohosim:", err)
		os.Exit(1)
	}
}

// run parses flags, starts the simulator and serves until a signal arrives.
func run(args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	srv, err := zohosim.NewServer(cfg)
	if err != nil {
		return err
	}
	cfg.Logger.Info("simulator listening", "url", srv.URL, "records",
		srv.Sim.Counts().TotalRecords)
	fmt.Println("READY", srv.URL)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// parseFlags builds a Config from flags and CRMGRAPH_ZOHOSIM_* variables.
func parseFlags(args []string) (zohosim.Config, error) {
	var (
		cfg       zohosim.Config
		malformed string
		logLevel  string
	)
	fs := flag.NewFlagSet("zohosim", flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:0", "listen address")
	fs.Int64Var(&cfg.Seed, "seed", 1, "dataset seed")
	fs.IntVar(&cfg.Scale, "scale", 1, "record count multiplier (1 = 58,741 records)")
	fs.StringVar(&cfg.Profile, "profile", "instant", "latency profile: instant or zoho")
	fs.StringVar(&cfg.Edition, "edition", "enterprise",
		"edition: free, standard, professional, enterprise or ultimate")
	fs.StringVar(&cfg.ClientID, "client-id", "sim", "OAuth client id")
	fs.StringVar(&cfg.ClientSecret, "client-secret", "sim", "OAuth client secret")
	fs.StringVar(&cfg.RefreshToken, "refresh-token", "sim-refresh", "OAuth refresh token")
	fs.DurationVar(&cfg.TokenTTL, "token-ttl", time.Hour, "access token lifetime")
	fs.IntVar(&cfg.RefreshLimit, "refresh-limit", 10,
		"token refreshes allowed per refresh window (negative: unlimited)")
	fs.StringVar(&cfg.Offset, "tz", "+05:30", "organisation UTC offset")
	fs.IntVar(&cfg.CreditsPerDay, "credits", 0,
		"API credits per rolling 24 h (0: the edition's, negative: unlimited)")
	fs.DurationVar(&cfg.PageTokenTTL, "page-token-ttl", 24*time.Hour, "page_token lifetime")
	fs.DurationVar(&cfg.Latency.Min, "latency-min", 0, "minimum per-call delay")
	fs.DurationVar(&cfg.Latency.Max, "latency-max", 0,
		"maximum per-call delay (set to override the profile)")
	fs.Float64Var(&cfg.Faults.ErrorRate, "fault-error-rate", 0,
		"share of API calls answered 500 INTERNAL_ERROR")
	fs.Float64Var(&cfg.Faults.TooManyRate, "fault-429-rate", 0,
		"share of API calls answered 429 TOO_MANY_REQUESTS")
	fs.StringVar(&malformed, "fault-malformed", "",
		"MODULE:N: the Nth Get Records call of MODULE returns truncated JSON")
	fs.IntVar(&cfg.Faults.ExpireTokensAfter, "fault-expire-tokens-after", 0,
		"invalidate every access token after N API calls")
	fs.IntVar(&cfg.Faults.PageTokenMaxUses, "fault-page-token-uses", 0,
		"page tokens expire after N uses")
	fs.DurationVar(&cfg.Faults.PageTokenTTL, "fault-page-token-ttl", 0,
		"page tokens expire after this long")
	fs.StringVar(&logLevel, "log", "info", "log level: debug, info, warn or error")
	if err := applyEnv(fs); err != nil {
		return cfg, err
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if malformed != "" {
		mod, n, ok := strings.Cut(malformed, ":")
		if _, err := fmt.Sscan(n, &cfg.Faults.MalformedPage); !ok || err != nil {
			return cfg, fmt.Errorf("-fault-malformed %q: want MODULE:N", malformed)
		}
		cfg.Faults.MalformedModule = mod
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return cfg, fmt.Errorf("-log %q: want debug, info, warn or error", logLevel)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	return cfg, nil
}

// applyEnv sets each flag from CRMGRAPH_ZOHOSIM_<NAME> when that variable is set.
func applyEnv(fs *flag.FlagSet) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := "CRMGRAPH_ZOHOSIM_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}
