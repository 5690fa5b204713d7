// Package relink is the relinker's stage logic: it turns the lookup fields
// of a run's records into relationships once the run's nodes are in the
// graph, and keeps them true.
//
// For a loaded marker (HandleMarker) it reads the run's record events back
// from the stream in chunks; for each chunk it derives the links the
// records imply (package mapping), reads the relinker's relationships that
// start at those records' nodes, and diffs: a relationship that matches is
// unchanged, one the records no longer imply is deleted (a changed or
// cleared lookup, a field the mapping dropped), one that is missing is
// merged. A link whose end node is not in the graph is parked (package
// park); after the run, every parked link whose end node has arrived is
// written and released. Then it publishes the run's linked marker with
// the counts.
//
// RelinkAll does the same over the latest event of every record, and also
// removes relationships whose start record is gone from the stream.
package relink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/relinker/mapping"
	"github.com/crmgraph/crmgraph/relinker/neo4jw"
	"github.com/crmgraph/crmgraph/relinker/park"
	"github.com/crmgraph/crmgraph/relinker/stream"
)

// Errors returned by this package. Callers test for them with errors.Is.
var (
	// ErrPermanent marks an error that retrying cannot fix: a marker that
	// cannot be decoded or names an impossible range. The message goes to
	// the dead-letter subject.
	ErrPermanent = errors.New("permanent relink failure")
	// ErrBadConfig means a Relinker was given an unusable configuration.
	ErrBadConfig = errors.New("bad relinker configuration")
)

// DefaultChunkSize is the default Config.ChunkSize: records derived and
// written at a time. Chunks are read while the one before is written;
// smaller chunks measured slower at seed scale (smaller waves per chunk).
const DefaultChunkSize = 100000

// Config configures a Relinker.
type Config struct {
	// Source is the source (Zoho organisation) that RelinkAll and Parked
	// work on. Markers name their own source.
	Source string
	// ChunkSize is how many records are derived, diffed and written at a
	// time; it bounds memory.
	ChunkSize int
	// Who names this process in the markers it publishes.
	Who string
	// File is the mapping file's content, layered over the defaults and
	// the schemas.
	File *mapping.File
}

// Relinker relinks runs. It is safe for concurrent use, but runs of one
// source must not be relinked at the same time (the durable consumer
// hands out one marker at a time).
type Relinker struct {
	cfg     Config
	js      jetstream.JetStream
	reader  *stream.Reader
	writer  *neo4jw.Writer
	parked  *park.Store
	log     *slog.Logger
	metrics *Metrics
}

// New returns a Relinker. metrics may be nil.
func New(cfg Config, js jetstream.JetStream, w *neo4jw.Writer, parked *park.Store,
	log *slog.Logger, metrics *Metrics) (*Relinker, error) {
	if !events.ValidToken(cfg.Source) || cfg.ChunkSize < 1 {
		return nil, fmt.Errorf("source %q, chunk size %d: %w", cfg.Source, cfg.ChunkSize,
			ErrBadConfig)
	}
	if cfg.File == nil {
		cfg.File = &mapping.File{}
	}
	if metrics == nil {
		metrics = NewMetrics(nil)
	}
	return &Relinker{cfg: cfg, js: js, reader: stream.NewReader(js), writer: w,
		parked: parked, log: log, metrics: metrics}, nil
}

// Mapping builds the mapping in force now for source: the defaults, the
// latest schema of every module of source, and the mapping file.
func (r *Relinker) Mapping(ctx context.Context, source string) (*mapping.Mapping, error) {
	schemas, err := r.reader.Schemas(ctx, source)
	if err != nil {
		return nil, err
	}
	m, err := mapping.Build(mapping.Defaults(), schemas, r.cfg.File)
	if err != nil {
		return nil, fmt.Errorf("building the mapping: %w: %w", ErrPermanent, err)
	}
	for _, s := range m.Skipped() {
		r.log.Warn("schema lookup skipped", "reason", s)
	}
	return m, nil
}

// Parked returns the parked relationships of the source, by key.
func (r *Relinker) Parked(ctx context.Context) (map[string]park.Entry, error) {
	return r.parked.All(ctx, r.cfg.Source)
}
