// Package config reads the extractor's settings from flags and environment
// variables, applies defaults and validates them in one place, so that a
// missing or invalid setting stops the program at start with a message that
// names it.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/app"
	"github.com/crmgraph/crmgraph/extractor/zoho"
)

// ErrInvalid means a setting is missing or out of range; the error names it.
var ErrInvalid = errors.New("invalid setting")

// Command is the subcommand the settings are for.
type Command string

// The extractor's subcommands.
const (
	// CommandRun runs once and exits.
	CommandRun Command = "run"
	// CommandServe runs on a schedule and on HTTP requests.
	CommandServe Command = "serve"
)

// Config is every setting of the extractor.
type Config struct {
	// Command is run or serve.
	Command Command
	// NATSURL is the NATS server (CRMGRAPH_NATS_URL).
	NATSURL string
	// Source names the Zoho organisation in subjects and keys (CRMGRAPH_SOURCE).
	Source string
	// Replicas is the CRM stream's replica count (CRMGRAPH_STREAM_REPLICAS).
	Replicas int
	// HTTPAddr serves metrics and health, and for serve the trigger
	// (CRMGRAPH_HTTP_ADDR); empty disables it.
	HTTPAddr string
	// LogFormat is text or json (CRMGRAPH_LOG_FORMAT).
	LogFormat string
	// LogLevel is debug, info, warn or error (CRMGRAPH_LOG_LEVEL).
	LogLevel string

	// Mode is the mode of a one-shot run: full or incremental.
	Mode events.Mode
	// APIKey is the key POST /api/v1/crm-sync requires in X-API-Key
	// (CRMGRAPH_API_KEY).
	APIKey string
	// Insecure serves the trigger without a key; only for local use
	// (CRMGRAPH_INSECURE_NO_API_KEY).
	Insecure bool
	// Schedule is the cron schedule of incremental runs; empty disables it
	// (CRMGRAPH_SCHEDULE).
	Schedule string
	// FullSchedule is the cron schedule of full runs; empty disables it
	// (CRMGRAPH_FULL_SCHEDULE).
	FullSchedule string

	// Zoho configures the Zoho client (ZOHO_*).
	Zoho zoho.Config
	// Modules lists the modules to sync; empty means every supported one
	// (ZOHO_MODULES, comma-separated).
	Modules []string
	// Overlap is subtracted from watermarks (CRMGRAPH_OVERLAP).
	Overlap time.Duration
	// Window is the most record events in flight (CRMGRAPH_PUBLISH_WINDOW).
	Window int
	// StallWait is how long a publish waits on a full window before trying
	// again (CRMGRAPH_STALL_WAIT).
	StallWait time.Duration
	// Progress is the interval of progress lines (CRMGRAPH_PROGRESS).
	Progress time.Duration
}

// Parse reads the settings of cmd from args and the environment, applies
// the defaults and validates them.
func Parse(cmd Command, args []string) (*Config, error) {
	c := &Config{Command: cmd}
	fs := flag.NewFlagSet("extractor "+string(cmd), flag.ContinueOnError)
	s := app.NewSettings(fs)
	var modules, mode string
	c.bind(s, &modules, &mode)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q: %w", fs.Args(), ErrInvalid)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	c.Modules = splitList(modules)
	if cmd == CommandRun {
		m, err := events.ParseMode(mode)
		if err != nil {
			return nil, fmt.Errorf("--mode: %w: %w", err, ErrInvalid)
		}
		c.Mode = m
	}
	return c, c.Validate()
}

// bind declares the flags of the command and their environment variables.
func (c *Config) bind(s *app.Settings, modules, mode *string) {
	s.String(&c.NATSURL, "nats-url", "CRMGRAPH_NATS_URL", events.DefaultNATSURL, "NATS server URL")
	s.String(&c.Source, "source", "CRMGRAPH_SOURCE", "zoho", "source name of the organisation")
	s.Int(&c.Replicas, "stream-replicas", "CRMGRAPH_STREAM_REPLICAS", 1, "CRM stream replicas")
	httpDef := ""
	if c.Command == CommandServe {
		httpDef = "127.0.0.1:8080"
	}
	s.String(&c.HTTPAddr, "http", "CRMGRAPH_HTTP_ADDR", httpDef,
		"address of the HTTP server (trigger, metrics, health); empty disables it")
	s.String(&c.LogFormat, "log-format", "CRMGRAPH_LOG_FORMAT", "text", "log format: text or json")
	s.String(&c.LogLevel, "log-level", "CRMGRAPH_LOG_LEVEL", "info",
		"log level: debug, info, warn or error")

	z := &c.Zoho
	s.String(&z.ClientID, "zoho-client-id", "ZOHO_CLIENT_ID", "", "Zoho OAuth client id")
	s.String(&z.ClientSecret, "zoho-client-secret", "ZOHO_CLIENT_SECRET", "",
		"Zoho OAuth client secret (prefer the environment variable)")
	s.String(&z.RefreshToken, "zoho-refresh-token", "ZOHO_REFRESH_TOKEN", "",
		"Zoho OAuth refresh token (prefer the environment variable)")
	s.String(&z.DataCenter, "zoho-dc", "ZOHO_DC", "com",
		"Zoho data centre: "+strings.Join(zoho.DataCenterNames(), ", "))
	s.String(&z.AccountsURL, "zoho-accounts-url", "ZOHO_ACCOUNTS_URL", "",
		"Zoho accounts server, overriding the data centre's")
	s.String(&z.APIURL, "zoho-api-url", "ZOHO_API_URL", "",
		"Zoho API domain, overriding the token response's api_domain")
	s.String(&z.Edition, "zoho-edition", "ZOHO_EDITION", "professional",
		"Zoho CRM edition (free, standard, professional, enterprise, ultimate): "+
			"sets the default concurrency")
	s.Int(&z.Concurrency, "zoho-concurrency", "ZOHO_CONCURRENCY", 0,
		"most Zoho calls in flight; 0 means the edition's limit")
	s.Duration(&z.RetryBudget, "zoho-retry-budget", "ZOHO_RETRY_BUDGET", 2*time.Minute,
		"total time one Zoho call may spend being retried")
	s.String(modules, "zoho-modules", "ZOHO_MODULES", "",
		"comma-separated modules to sync; empty means every supported module")

	s.Duration(&c.Overlap, "overlap", "CRMGRAPH_OVERLAP", 2*time.Minute,
		"how far before a watermark incremental runs start reading")
	s.Int(&c.Window, "publish-window", "CRMGRAPH_PUBLISH_WINDOW", 4000,
		"most record events published and not yet acknowledged")
	s.Duration(&c.StallWait, "stall-wait", "CRMGRAPH_STALL_WAIT", 5*time.Second,
		"how long a publish waits on a full window before trying again")
	s.Duration(&c.Progress, "progress", "CRMGRAPH_PROGRESS", 5*time.Second,
		"interval of the progress lines")

	switch c.Command {
	case CommandRun:
		s.String(mode, "mode", "CRMGRAPH_MODE", string(events.ModeIncremental),
			"run mode: full or incremental")
	case CommandServe:
		s.String(&c.APIKey, "api-key", "CRMGRAPH_API_KEY", "",
			"key POST /api/v1/crm-sync requires in X-API-Key (prefer the environment variable)")
		s.Bool(&c.Insecure, "insecure-no-api-key", "CRMGRAPH_INSECURE_NO_API_KEY", false,
			"serve the trigger without an API key (local use only)")
		s.String(&c.Schedule, "schedule", "CRMGRAPH_SCHEDULE", "*/30 * * * *",
			"cron schedule of incremental runs; empty disables it")
		s.String(&c.FullSchedule, "full-schedule", "CRMGRAPH_FULL_SCHEDULE", "0 3 * * *",
			"cron schedule of full runs; empty disables it")
	}
}

// Validate reports the first invalid setting, naming its flag and variable.
func (c *Config) Validate() error {
	if !events.ValidToken(c.Source) {
		return invalid("--source / CRMGRAPH_SOURCE", c.Source,
			"letters, digits, '_' or '-'")
	}
	if c.NATSURL == "" {
		return invalid("--nats-url / CRMGRAPH_NATS_URL", "", "a NATS URL")
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		return invalid("--stream-replicas / CRMGRAPH_STREAM_REPLICAS", fmt.Sprint(c.Replicas),
			"1 to 5")
	}
	if _, err := app.NewLogger(nil, c.LogFormat, c.LogLevel); err != nil {
		return fmt.Errorf("CRMGRAPH_LOG_FORMAT / CRMGRAPH_LOG_LEVEL: %w: %w", err, ErrInvalid)
	}
	if err := c.validateZoho(); err != nil {
		return err
	}
	for _, m := range c.Modules {
		if !events.ValidToken(m) {
			return invalid("--zoho-modules / ZOHO_MODULES", m, "Zoho module API names")
		}
	}
	if c.Overlap < 0 {
		return invalid("--overlap / CRMGRAPH_OVERLAP", c.Overlap.String(), "a duration >= 0")
	}
	if c.Window < 1 {
		return invalid("--publish-window / CRMGRAPH_PUBLISH_WINDOW", fmt.Sprint(c.Window),
			"a positive number")
	}
	if c.StallWait <= 0 || c.Progress <= 0 {
		return invalid("--stall-wait / --progress", "", "positive durations")
	}
	if c.Command == CommandServe {
		return c.validateServe()
	}
	return nil
}

// validateZoho checks the Zoho settings; the client's own validation
// speaks of its fields, so the required ones are checked here by name.
func (c *Config) validateZoho() error {
	z := &c.Zoho
	for _, s := range []struct{ name, v string }{
		{"--zoho-client-id / ZOHO_CLIENT_ID", z.ClientID},
		{"--zoho-client-secret / ZOHO_CLIENT_SECRET", z.ClientSecret},
		{"--zoho-refresh-token / ZOHO_REFRESH_TOKEN", z.RefreshToken},
	} {
		if strings.TrimSpace(s.v) == "" {
			return fmt.Errorf("%s is not set: %w", s.name, ErrInvalid)
		}
	}
	if z.AccountsURL == "" {
		if _, err := zoho.LookupDataCenter(z.DataCenter); err != nil {
			return invalid("--zoho-dc / ZOHO_DC", z.DataCenter,
				strings.Join(zoho.DataCenterNames(), ", "))
		}
	}
	if _, ok := zoho.EditionConcurrency(z.Edition); !ok {
		return invalid("--zoho-edition / ZOHO_EDITION", z.Edition,
			"free, standard, professional, enterprise or ultimate")
	}
	if z.Concurrency < 0 {
		return invalid("--zoho-concurrency / ZOHO_CONCURRENCY", fmt.Sprint(z.Concurrency),
			"0 (the edition's limit) or more")
	}
	if z.RetryBudget <= 0 {
		return invalid("--zoho-retry-budget / ZOHO_RETRY_BUDGET", z.RetryBudget.String(),
			"a positive duration")
	}
	if err := z.Validate(); err != nil {
		return fmt.Errorf("ZOHO_ACCOUNTS_URL / ZOHO_API_URL: %w: %w", err, ErrInvalid)
	}
	return nil
}

func (c *Config) validateServe() error {
	if c.APIKey == "" && !c.Insecure && c.HTTPAddr != "" {
		return fmt.Errorf("--api-key / CRMGRAPH_API_KEY is not set: the trigger endpoint "+
			"needs a key (or --insecure-no-api-key for local use): %w", ErrInvalid)
	}
	for _, s := range []struct{ name, spec string }{
		{"--schedule / CRMGRAPH_SCHEDULE", c.Schedule},
		{"--full-schedule / CRMGRAPH_FULL_SCHEDULE", c.FullSchedule},
	} {
		if s.spec == "" {
			continue
		}
		if _, err := cron.ParseStandard(s.spec); err != nil {
			return fmt.Errorf("%s=%q: want a cron schedule such as \"*/30 * * * *\": %w: %w",
				s.name, s.spec, err, ErrInvalid)
		}
	}
	return nil
}

func invalid(name, value, want string) error {
	return fmt.Errorf("%s=%q: want %s: %w", name, value, want, ErrInvalid)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// LogValue logs the settings without secrets.
func (c *Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("command", string(c.Command)),
		slog.String("nats_url", app.RedactURL(c.NATSURL)),
		slog.String("source", c.Source),
		slog.String("http", c.HTTPAddr),
		slog.String("mode", string(c.Mode)),
		slog.Bool("api_key_set", c.APIKey != ""),
		slog.String("schedule", c.Schedule),
		slog.String("full_schedule", c.FullSchedule),
		slog.Any("zoho", c.Zoho),
		slog.String("modules", strings.Join(c.Modules, ",")),
		slog.Duration("overlap", c.Overlap),
	)
}
