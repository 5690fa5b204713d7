// Package config holds the relinker's settings: defaults and validation in
// one place, filled from flags and CRMGRAPH_* environment variables.
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/app"
	"github.com/crmgraph/crmgraph/events/graph"
	"github.com/crmgraph/crmgraph/relinker/neo4jw"
	"github.com/crmgraph/crmgraph/relinker/relink"
)

// ErrInvalid means a setting has a value the relinker cannot run with.
var ErrInvalid = errors.New("invalid setting")

// Defaults of the settings that have one.
const (
	DefaultHTTPAddr = "127.0.0.1:9102"
	// DefaultBatchSize and DefaultParallel are the writer's measured
	// defaults (see the README's performance section).
	DefaultBatchSize = neo4jw.DefaultBatchSize
	DefaultParallel  = neo4jw.DefaultParallel
	// DefaultChunkSize bounds the records held in memory at once.
	DefaultChunkSize = relink.DefaultChunkSize
)

// Config is the relinker's configuration.
type Config struct {
	// NATSURL is the NATS server to connect to.
	NATSURL string
	// Source is the source (Zoho organisation) that relink --all and
	// parked work on; markers name their own.
	Source string
	// Neo4jURI, Neo4jUser, Neo4jPassword and Neo4jDatabase say where the
	// graph is; an empty user means no authentication.
	Neo4jURI      string
	Neo4jUser     string
	Neo4jPassword string
	Neo4jDatabase string
	// Neo4jRetryTime is how long the driver keeps retrying a transaction
	// that failed with a transient error (a deadlock, for example).
	Neo4jRetryTime time.Duration
	// HTTPAddr serves /metrics and /health; empty disables it.
	HTTPAddr string
	// LogFormat is text or json; LogLevel debug, info, warn or error.
	LogFormat string
	LogLevel  string

	// Mapping is the path of the mapping YAML file; empty uses the
	// defaults and the schemas only.
	Mapping string
	// Labels are label overrides as Module=Label pairs separated by
	// commas, the loader's syntax; the mapping file's labels win. It
	// defaults to CRMGRAPH_LOADER_LABELS, so one setting serves both.
	Labels string
	// BatchSize is the most relationships one transaction writes.
	BatchSize int
	// Parallel is how many node-disjoint partitions are written at once.
	Parallel int
	// ChunkSize is how many records are derived, diffed and written at a
	// time.
	ChunkSize int

	// AckWait is the relinker consumer's ack wait: how long a marker
	// held by a process that died stays unavailable. The relinker keeps a
	// live marker in progress, so this bounds crash recovery, not the
	// length of a relink.
	AckWait time.Duration
	// MaxRunTime is the longest one marker may be handled.
	MaxRunTime time.Duration
	// Retries and RetryInterval are the in-process retries of a failed
	// marker; NakDelay the wait before the server redelivers it after.
	Retries       int
	RetryInterval time.Duration
	NakDelay      time.Duration
}

// Bind registers every setting on fs, with defaults taken from the
// environment. Call Validate after fs.Parse.
func Bind(fs *flag.FlagSet) (*Config, *app.Settings) {
	c := &Config{}
	s := app.NewSettings(fs)
	s.String(&c.NATSURL, "nats-url", "CRMGRAPH_NATS_URL", events.DefaultNATSURL, "NATS server URL")
	s.String(&c.Source, "source", "CRMGRAPH_SOURCE", "zoho", "source (Zoho organisation) name")
	s.String(&c.Neo4jURI, "neo4j-uri", "CRMGRAPH_NEO4J_URI", "bolt://127.0.0.1:7687",
		"Neo4j URI")
	s.String(&c.Neo4jDatabase, "neo4j-database", "CRMGRAPH_NEO4J_DATABASE", "neo4j",
		"Neo4j database")
	s.Duration(&c.Neo4jRetryTime, "neo4j-retry-time", "CRMGRAPH_NEO4J_RETRY_TIME",
		2*time.Minute, "how long a transaction that failed transiently is retried")
	s.String(&c.HTTPAddr, "http", "CRMGRAPH_HTTP_ADDR", DefaultHTTPAddr,
		"address of /metrics and /health; empty disables")
	s.String(&c.LogFormat, "log-format", "CRMGRAPH_LOG_FORMAT", "text", "text or json")
	s.String(&c.LogLevel, "log-level", "CRMGRAPH_LOG_LEVEL", "info",
		"debug, info, warn or error")
	s.String(&c.Mapping, "mapping", "CRMGRAPH_RELINKER_MAPPING", "",
		"mapping YAML file (see mapping.example.yaml)")
	s.String(&c.Labels, "labels", "CRMGRAPH_RELINKER_LABELS",
		os.Getenv("CRMGRAPH_LOADER_LABELS"),
		"label overrides, as Module=Label pairs separated by commas (Projects__c=Project)")
	s.Int(&c.BatchSize, "batch-size", "CRMGRAPH_RELINKER_BATCH_SIZE", DefaultBatchSize,
		"most relationships per transaction")
	s.Int(&c.Parallel, "parallel", "CRMGRAPH_RELINKER_PARALLEL", DefaultParallel,
		"node-disjoint partitions written at once")
	s.Int(&c.ChunkSize, "chunk-size", "CRMGRAPH_RELINKER_CHUNK_SIZE", DefaultChunkSize,
		"records derived and written at a time")
	s.Duration(&c.AckWait, "ack-wait", "CRMGRAPH_RELINKER_ACK_WAIT",
		events.RelinkerConsumerConfig().AckWait, "ack wait of the relinker consumer")
	s.Duration(&c.MaxRunTime, "max-run-time", "CRMGRAPH_RELINKER_MAX_RUN_TIME", time.Hour,
		"longest one marker may be handled")
	s.Int(&c.Retries, "retries", "CRMGRAPH_RELINKER_RETRIES", 3,
		"in-process retries of a failed marker")
	s.Duration(&c.RetryInterval, "retry-interval", "CRMGRAPH_RELINKER_RETRY_INTERVAL",
		time.Second, "first wait between in-process retries")
	s.Duration(&c.NakDelay, "nak-delay", "CRMGRAPH_RELINKER_NAK_DELAY", 10*time.Second,
		"wait before a failed marker is redelivered")
	c.Neo4jUser = os.Getenv("CRMGRAPH_NEO4J_USER")
	c.Neo4jPassword = os.Getenv("CRMGRAPH_NEO4J_PASSWORD")
	return c, s
}

// InheritLabels takes the loader's label overrides (CRMGRAPH_LOADER_LABELS)
// when the relinker was given none: the flag default does that when
// CRMGRAPH_RELINKER_LABELS is unset, and this does it when a deployment
// sets it to the empty string, as Compose and Kubernetes do.
func (c *Config) InheritLabels() {
	if c.Labels == "" {
		c.Labels = os.Getenv("CRMGRAPH_LOADER_LABELS")
	}
}

// Validate reports the first setting the relinker cannot run with,
// naming it and the values it accepts.
func (c *Config) Validate() error {
	checks := []struct {
		bad  bool
		what string
	}{
		{c.NATSURL == "", "--nats-url (CRMGRAPH_NATS_URL): want a URL"},
		{!events.ValidToken(c.Source),
			"--source (CRMGRAPH_SOURCE): want letters, digits, '_' or '-'"},
		{c.Neo4jURI == "", "--neo4j-uri (CRMGRAPH_NEO4J_URI): want a URL"},
		{c.Neo4jDatabase == "", "--neo4j-database (CRMGRAPH_NEO4J_DATABASE): want a name"},
		{c.Neo4jRetryTime <= 0, "--neo4j-retry-time: want a positive duration"},
		{c.LogFormat != "text" && c.LogFormat != "json", "--log-format: want text or json"},
		{c.BatchSize < 1 || c.BatchSize > 100000, "--batch-size: want 1 to 100000"},
		{c.Parallel < 1 || c.Parallel > 64, "--parallel: want 1 to 64"},
		{c.ChunkSize < 1, "--chunk-size: want at least 1"},
		{c.AckWait < time.Second, "--ack-wait: want at least 1s"},
		{c.MaxRunTime < c.AckWait/4, "--max-run-time: want at least a quarter of --ack-wait"},
		{c.Retries < 0, "--retries: want 0 or more"},
		{c.RetryInterval <= 0, "--retry-interval: want a positive duration"},
		{c.NakDelay < 0, "--nak-delay: want 0 or more"},
	}
	for _, ch := range checks {
		if ch.bad {
			return fmt.Errorf("%s: %w", ch.what, ErrInvalid)
		}
	}
	if _, err := c.LabelOverrides(); err != nil {
		return err
	}
	return nil
}

// LabelOverrides parses Labels into module-to-label overrides.
func (c *Config) LabelOverrides() (map[string]string, error) {
	out := make(map[string]string)
	for _, pair := range strings.Split(c.Labels, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		module, label, ok := strings.Cut(pair, "=")
		if !ok || !events.ValidToken(module) || !graph.ValidName(label) {
			return nil, fmt.Errorf("--labels (CRMGRAPH_RELINKER_LABELS): %q: "+
				"want Module=Label pairs separated by commas: %w", pair, ErrInvalid)
		}
		out[module] = label
	}
	return out, nil
}
