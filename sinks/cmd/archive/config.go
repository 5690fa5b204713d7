package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/app"
	"github.com/crmgraph/crmgraph/events/sink"
	"github.com/crmgraph/crmgraph/sinks/archive"
)

// DefaultHTTPAddr serves the archive's /metrics and /health.
const DefaultHTTPAddr = "127.0.0.1:9103"

// config is everything the archive binary is told.
type config struct {
	// NATSURL is the NATS server.
	NATSURL string
	// Name is the sink's name: its durable consumer and dead letters.
	Name string
	// AckWait bounds how long the records of a crashed process stay out of
	// reach (the next start takes them back at once anyway).
	AckWait time.Duration
	// Replay rewinds the consumer to the start of the stream when the
	// directory holds no archive yet.
	Replay bool
	// Archive is where files go and when they are sealed.
	Archive archive.Config
	// HTTPAddr serves /metrics and /health; empty serves nothing.
	HTTPAddr string
	// LogFormat is text or json; LogLevel is debug, info, warn or error.
	LogFormat string
	LogLevel  string
}

// LogValue keeps credentials in the NATS URL out of logs.
func (c config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("nats_url", app.RedactURL(c.NATSURL)),
		slog.String("name", c.Name),
		slog.String("dir", c.Archive.Dir),
		slog.Int64("max_file_bytes", c.Archive.MaxFileBytes),
		slog.Int("max_file_records", c.Archive.MaxFileRecords),
		slog.Duration("max_file_age", c.Archive.MaxFileAge),
		slog.Bool("sync", c.Archive.Sync),
		slog.Duration("ack_wait", c.AckWait),
		slog.Bool("replay", c.Replay),
		slog.String("http", c.HTTPAddr),
	)
}

// parse reads the settings from args (without the program name) and the
// environment, and validates them.
func parse(args []string) (config, error) {
	var c config
	var maxBytes int
	fs := flag.NewFlagSet("archive", flag.ContinueOnError)
	s := app.NewSettings(fs)
	s.String(&c.NATSURL, "nats-url", "CRMGRAPH_NATS_URL", events.DefaultNATSURL, "NATS server URL")
	s.String(&c.Archive.Dir, "dir", "CRMGRAPH_ARCHIVE_DIR", "archive",
		"archive directory: <dir>/<source>/<module>/<module>-<seq>.jsonl.gz")
	s.String(&c.Name, "name", "CRMGRAPH_ARCHIVE_NAME", "archive",
		"sink name: the durable consumer and crm.dlq.<name>.<seq>")
	s.Int(&maxBytes, "max-file-bytes", "CRMGRAPH_ARCHIVE_MAX_FILE_BYTES",
		archive.DefaultMaxFileBytes, "seal a file at this compressed size")
	s.Int(&c.Archive.MaxFileRecords, "max-file-records", "CRMGRAPH_ARCHIVE_MAX_FILE_RECORDS",
		archive.DefaultMaxFileRecords, "seal a file at this many records")
	s.Duration(&c.Archive.MaxFileAge, "max-file-age", "CRMGRAPH_ARCHIVE_MAX_FILE_AGE",
		archive.DefaultMaxFileAge, "seal a file this long after its first record; 0 never")
	s.Bool(&c.Archive.Sync, "sync", "CRMGRAPH_ARCHIVE_SYNC", false,
		"fsync every record before acknowledging it (survives power loss, slow)")
	s.Duration(&c.AckWait, "ack-wait", "CRMGRAPH_ARCHIVE_ACK_WAIT", sink.DefaultAckWait,
		"the consumer's ack wait")
	s.Bool(&c.Replay, "replay", "CRMGRAPH_ARCHIVE_REPLAY", false,
		"archive the stream from its start if --dir holds no archive yet")
	s.String(&c.HTTPAddr, "http", "CRMGRAPH_HTTP_ADDR", DefaultHTTPAddr,
		"address of /metrics and /health; empty disables")
	s.String(&c.LogFormat, "log-format", "CRMGRAPH_LOG_FORMAT", "text", "log format: text or json")
	s.String(&c.LogLevel, "log-level", "CRMGRAPH_LOG_LEVEL", "info",
		"log level: debug, info, warn or error")
	if err := s.Err(); err != nil {
		return config{}, err
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.Archive.MaxFileBytes = int64(maxBytes)
	if c.Archive.MaxFileAge == 0 {
		c.Archive.MaxFileAge = -1 // the flag's 0 means never
	}
	return c, c.validate()
}

// validate reports every bad setting, naming its flag and variable.
func (c config) validate() error {
	var errs []error
	check := func(ok bool, setting, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %s", setting, fmt.Sprintf(format, args...)))
		}
	}
	check(c.NATSURL != "", "--nats-url / CRMGRAPH_NATS_URL", "must not be empty")
	check(c.Archive.Dir != "", "--dir / CRMGRAPH_ARCHIVE_DIR", "must not be empty")
	check(events.ValidToken(c.Name), "--name / CRMGRAPH_ARCHIVE_NAME",
		"%q: want letters, digits, '_' or '-'", c.Name)
	check(c.Archive.MaxFileBytes >= 1<<10, "--max-file-bytes / CRMGRAPH_ARCHIVE_MAX_FILE_BYTES",
		"%d: want at least 1024", c.Archive.MaxFileBytes)
	check(c.Archive.MaxFileRecords >= 1,
		"--max-file-records / CRMGRAPH_ARCHIVE_MAX_FILE_RECORDS", "%d: want at least 1",
		c.Archive.MaxFileRecords)
	check(c.Archive.MaxFileAge == -1 || c.Archive.MaxFileAge >= time.Second,
		"--max-file-age / CRMGRAPH_ARCHIVE_MAX_FILE_AGE", "%s: want 0 (never) or at least 1s",
		c.Archive.MaxFileAge)
	check(c.AckWait >= sink.MinAckWait, "--ack-wait / CRMGRAPH_ARCHIVE_ACK_WAIT",
		"%s: want at least %s", c.AckWait, sink.MinAckWait)
	check(c.LogFormat == "text" || c.LogFormat == "json", "--log-format / CRMGRAPH_LOG_FORMAT",
		"%q: want text or json", c.LogFormat)
	return errors.Join(errs...)
}
