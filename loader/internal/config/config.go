// Package config reads the loader's settings from flags and CRMGRAPH_*
// environment variables, with defaults and validation in one place: a bad
// value stops the program at start with a message naming the setting.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/app"
	"github.com/crmgraph/crmgraph/events/graph"
	"github.com/crmgraph/crmgraph/loader/load"
)

// Defaults of the connection settings.
const (
	DefaultNeo4jURI      = "bolt://127.0.0.1:7687"
	DefaultNeo4jDatabase = "neo4j"
	DefaultHTTPAddr      = "127.0.0.1:9101"
)

// Config is everything the loader binary is told.
type Config struct {
	// NATSURL is the NATS server.
	NATSURL string
	// Neo4jURI is the Neo4j server (bolt:// for one server, neo4j:// for a
	// cluster or Aura).
	Neo4jURI string
	// Neo4jUser and Neo4jPassword authenticate to Neo4j; an empty user
	// means no authentication. The password comes only from the
	// environment, never from a flag, so that it does not show in ps.
	Neo4jUser     string
	Neo4jPassword string
	// Neo4jDatabase is the database nodes are written to.
	Neo4jDatabase string
	// HTTPAddr serves /metrics and /health; empty serves nothing.
	HTTPAddr string
	// LogFormat is text or json; LogLevel is debug, info, warn or error.
	LogFormat string
	LogLevel  string
	// Load is how the loader consumes and writes.
	Load load.Config
	// Wipe (replay only) deletes the nodes crmgraph wrote before the replay.
	Wipe bool
	// Follow (replay only) keeps loading after the replay instead of exiting.
	Follow bool
}

// LogValue keeps the password out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("nats_url", app.RedactURL(c.NATSURL)),
		slog.String("neo4j_uri", app.RedactURL(c.Neo4jURI)),
		slog.String("neo4j_user", c.Neo4jUser),
		slog.String("neo4j_database", c.Neo4jDatabase),
		slog.String("http", c.HTTPAddr),
		slog.Int("chunk_size", c.Load.ChunkSize),
		slog.Duration("fetch_wait", c.Load.FetchWait),
		slog.Int("writers", c.Load.Writers),
		slog.Bool("keep_meta", c.Load.Mapping.KeepMeta),
		slog.Any("labels", c.Load.Labels.Overrides),
	)
}

// Parse reads the settings of a subcommand from args (without the program
// and subcommand names) and the environment. replay adds --wipe and
// --follow.
func Parse(name string, args []string, replay bool) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("loader "+name, flag.ContinueOnError)
	s := app.NewSettings(fs)
	s.String(&c.NATSURL, "nats-url", "CRMGRAPH_NATS_URL", events.DefaultNATSURL, "NATS server URL")
	s.String(&c.Neo4jURI, "neo4j-uri", "CRMGRAPH_NEO4J_URI", DefaultNeo4jURI, "Neo4j URI")
	s.String(&c.Neo4jUser, "neo4j-user", "CRMGRAPH_NEO4J_USER", "",
		"Neo4j user; empty for no authentication")
	s.String(&c.Neo4jDatabase, "neo4j-database", "CRMGRAPH_NEO4J_DATABASE",
		DefaultNeo4jDatabase, "Neo4j database")
	s.String(&c.HTTPAddr, "http", "CRMGRAPH_HTTP_ADDR", DefaultHTTPAddr,
		"address of /metrics and /health; empty disables")
	s.String(&c.LogFormat, "log-format", "CRMGRAPH_LOG_FORMAT", "text", "log format: text or json")
	s.String(&c.LogLevel, "log-level", "CRMGRAPH_LOG_LEVEL", "info",
		"log level: debug, info, warn or error")
	s.Int(&c.Load.ChunkSize, "chunk-size", "CRMGRAPH_LOADER_CHUNK_SIZE", load.DefaultChunkSize,
		"messages per fetch and per Neo4j transaction")
	s.Duration(&c.Load.FetchWait, "fetch-wait", "CRMGRAPH_LOADER_FETCH_WAIT",
		load.DefaultFetchWait, "longest wait to fill a chunk")
	s.Int(&c.Load.Writers, "writers", "CRMGRAPH_LOADER_WRITERS", load.DefaultWriters,
		"chunks written to Neo4j at once")
	s.Bool(&c.Load.Mapping.KeepMeta, "keep-meta", "CRMGRAPH_LOADER_KEEP_META", false,
		"keep Zoho's $-prefixed metadata fields as properties")
	s.Duration(&c.Load.ProgressEvery, "progress-every", "CRMGRAPH_LOADER_PROGRESS_EVERY",
		load.DefaultProgressEvery, "interval of progress lines while a backlog drains")
	s.Duration(&c.Load.ShutdownGrace, "shutdown-grace", "CRMGRAPH_LOADER_SHUTDOWN_GRACE",
		load.DefaultShutdownGrace, "longest wait for the chunk in flight on SIGTERM")
	var labels string
	s.String(&labels, "labels", "CRMGRAPH_LOADER_LABELS", "",
		"label overrides, as Module=Label pairs separated by commas (Projects__c=Project)")
	if replay {
		s.Bool(&c.Wipe, "wipe", "", false,
			"delete the nodes crmgraph wrote (those with _source) before replaying")
		s.Bool(&c.Follow, "follow", "", false,
			"keep loading after the replay instead of exiting")
	}
	c.Neo4jPassword = os.Getenv("CRMGRAPH_NEO4J_PASSWORD")
	if err := s.Err(); err != nil {
		return Config{}, err
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	overrides, err := ParseLabels(labels)
	if err != nil {
		return Config{}, fmt.Errorf("--labels / CRMGRAPH_LOADER_LABELS: %w", err)
	}
	c.Load.Labels = graph.Labels{Overrides: overrides}
	return c, c.Validate()
}

// Validate reports the first bad setting, naming its flag and variable.
func (c Config) Validate() error {
	var errs []error
	check := func(ok bool, setting, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %s", setting, fmt.Sprintf(format, args...)))
		}
	}
	check(c.NATSURL != "", "--nats-url / CRMGRAPH_NATS_URL", "must not be empty")
	check(hasScheme(c.Neo4jURI, "bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"),
		"--neo4j-uri / CRMGRAPH_NEO4J_URI", "%q: want bolt://, neo4j:// or their +s, +ssc forms",
		app.RedactURL(c.Neo4jURI))
	check(c.Neo4jDatabase != "", "--neo4j-database / CRMGRAPH_NEO4J_DATABASE", "must not be empty")
	check(c.Load.ChunkSize >= 1 && c.Load.ChunkSize <= load.MaxChunkSize,
		"--chunk-size / CRMGRAPH_LOADER_CHUNK_SIZE", "%d: want 1 to %d",
		c.Load.ChunkSize, load.MaxChunkSize)
	check(c.Load.FetchWait >= time.Millisecond && c.Load.FetchWait <= 30*time.Second,
		"--fetch-wait / CRMGRAPH_LOADER_FETCH_WAIT", "%s: want 1ms to 30s", c.Load.FetchWait)
	check(c.Load.Writers >= 1 && c.Load.Writers <= load.MaxWriters,
		"--writers / CRMGRAPH_LOADER_WRITERS", "%d: want 1 to %d", c.Load.Writers, load.MaxWriters)
	check(c.Load.ShutdownGrace > 0, "--shutdown-grace / CRMGRAPH_LOADER_SHUTDOWN_GRACE",
		"%s: want a positive duration", c.Load.ShutdownGrace)
	if err := c.Load.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("--labels / CRMGRAPH_LOADER_LABELS: %w", err))
	}
	return errors.Join(errs...)
}

// ParseLabels reads Module=Label pairs separated by commas. Each label is
// checked with graph.ValidName.
func ParseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		module, label, ok := strings.Cut(pair, "=")
		module, label = strings.TrimSpace(module), strings.TrimSpace(label)
		if !ok || module == "" {
			return nil, fmt.Errorf("%q: want Module=Label", pair)
		}
		if !events.ValidToken(module) {
			return nil, fmt.Errorf("module %q: %w", module, events.ErrUnsafeToken)
		}
		if !graph.ValidName(label) {
			return nil, fmt.Errorf("label %q for module %s: %w", label, module, graph.ErrBadName)
		}
		out[module] = label
	}
	return out, nil
}

func hasScheme(uri string, schemes ...string) bool {
	for _, s := range schemes {
		if strings.HasPrefix(uri, s+"://") {
			return true
		}
	}
	return false
}
