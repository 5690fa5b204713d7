package load

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/graph"
)

// Defaults of Config, chosen by measurement.
//
// Seed dataset (58,741 records, 56 non-null properties each on average)
// into an empty graph, nodes per second; bare: the same rows and
// statements written by neo4jw straight from memory (bare2: two chunks at
// once); loader: from the stream, Fetch to ack. Measured on 2026-12-03 on
// the 2-core development VM against the local Neo4j 5.26, which other
// engineers' test runs shared: load averages 1.3 to 2.6 while these ran,
// so each figure is a range of runs and differences under 15% are noise.
//
//	chunk   bare        bare2       loader w=1   loader w=2
//	  250   2325-2762   3196-3439   2824-3337    4893-5337
//	  500   3895-4050   6799-7440   3374-4449    5062-6525
//	 1000   3475-3705   6060-7107   3717         4449-4517
//	 2000   3607        5632        3337         4588
//	 5000   3488        4925        3415         3581-4318
//
// Go test: go test ./deploy/e2e/loader -run '^$' -bench SeedLoad -benchtime 1x
//
// In that test the events come module after module, so every chunk holds
// one label, and 500 rows per chunk is the best size for the bare writer
// and the loader alike (larger transactions get slower in Neo4j; smaller
// ones pay the per-transaction cost). In a real full sync the extractor
// reads the modules side by side and their events interleave: a chunk of
// 500 holds several labels, each written by its own, smaller statement,
// and Neo4j spends more CPU per node. Full syncs through the whole
// pipeline (make bench, scenario full, median of 3 after a warm-up, on
// 2026-12-04; Neo4j's CPU seconds per sync in brackets):
//
//	chunk 500: 20.4 s (27.6)   1000: 17.4 s (20.8)
//	     2000: 18.9 s (23.1)   5000: 19.1 s (22.9)
//
// Command: CRMGRAPH_LOADER_CHUNK_SIZE=N bin/bench -scenarios full
//
// So the default is 1000; the loader's peak RSS grows from 69 to 118 MB.
// Two writers let Neo4j use both cores: 1.3 to 1.5
// times one writer, within 0.75 to 0.9 of two bare writers, the rest being
// the loader's own CPU (decode, map, driver packing, NATS) on the same two
// cores. The fetch wait barely matters in a backlog (full chunks come at
// once); for an incremental run of 1% (587 records) the time from publish
// to loaded marker was 0.55 s, 0.43 s and 0.64 s with 25 ms, 100 ms and
// 250 ms (go test ./deploy/e2e/loader -run '^$' -bench Incremental).
const (
	// DefaultChunkSize is the most messages one Fetch asks for and one
	// transaction writes.
	DefaultChunkSize = 1000
	// DefaultFetchWait bounds how long a Fetch waits to fill a chunk.
	DefaultFetchWait = 100 * time.Millisecond
	// DefaultWriters is how many chunks are written at once.
	DefaultWriters = 2
	// DefaultProgressEvery is how often progress is logged while a
	// backlog drains.
	DefaultProgressEvery = 5 * time.Second
	// DefaultShutdownGrace is how long a chunk being written may still
	// take to commit once shutdown has begun.
	DefaultShutdownGrace = 30 * time.Second
	// DefaultMarkerPoll is how often the ack floor is read while a run's
	// extracted marker waits for its records.
	DefaultMarkerPoll = 200 * time.Millisecond
)

// Limits of Config.
const (
	// MaxChunkSize keeps two chunks per writer well inside the consumer's
	// MaxAckPending (20,000 across all loader processes).
	MaxChunkSize = 5000
	// MaxWriters bounds the chunks written at once by one process.
	MaxWriters = 8
)

// Config is how a Loader consumes and writes. Zero fields take their
// defaults.
type Config struct {
	// ChunkSize is the most messages one Fetch asks for and one Neo4j
	// transaction writes.
	ChunkSize int
	// FetchWait is how long a Fetch waits to fill a chunk before it
	// returns what it has; it bounds the delay a trickle of events sees.
	FetchWait time.Duration
	// Writers is how many chunks are written to Neo4j at once; one more
	// chunk is fetched and mapped while they are written.
	Writers int
	// Labels maps modules to node labels.
	Labels graph.Labels
	// Mapping maps record bodies to node properties.
	Mapping graph.Mapping
	// ProgressEvery is how often a progress line is logged while a backlog
	// drains; negative disables progress lines.
	ProgressEvery time.Duration
	// ShutdownGrace is how long the chunk being written may still take to
	// commit once the loader is told to stop; after that its transaction
	// is abandoned and its messages are left unacknowledged.
	ShutdownGrace time.Duration
	// MarkerPoll is how often the consumer's ack floor is read while an
	// extracted marker waits for its run's records.
	MarkerPoll time.Duration
	// Consumer is the durable consumer's name.
	Consumer string
	// Who names this process in the markers it publishes.
	Who string
}

func (c *Config) setDefaults() {
	if c.ChunkSize == 0 {
		c.ChunkSize = DefaultChunkSize
	}
	if c.FetchWait == 0 {
		c.FetchWait = DefaultFetchWait
	}
	if c.Writers == 0 {
		c.Writers = DefaultWriters
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = DefaultProgressEvery
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.MarkerPoll == 0 {
		c.MarkerPoll = DefaultMarkerPoll
	}
	if c.Consumer == "" {
		c.Consumer = events.ConsumerLoader
	}
	if c.Who == "" {
		host, _ := os.Hostname()
		c.Who = host + ":" + strconv.Itoa(os.Getpid())
	}
}

// Validate reports the first setting out of its range, naming it and the
// accepted values. Zero values are valid: they take defaults.
func (c Config) Validate() error {
	switch {
	case c.ChunkSize < 0 || c.ChunkSize > MaxChunkSize:
		return fmt.Errorf("chunk size %d: want 1 to %d", c.ChunkSize, MaxChunkSize)
	case c.FetchWait < 0 || (c.FetchWait > 0 && c.FetchWait < time.Millisecond) ||
		c.FetchWait > 30*time.Second:
		return fmt.Errorf("fetch wait %s: want 1ms to 30s", c.FetchWait)
	case c.Writers < 0 || c.Writers > MaxWriters:
		return fmt.Errorf("writers %d: want 1 to %d", c.Writers, MaxWriters)
	case c.ShutdownGrace < 0:
		return fmt.Errorf("shutdown grace %s: want a positive duration", c.ShutdownGrace)
	case c.MarkerPoll < 0:
		return fmt.Errorf("marker poll %s: want a positive duration", c.MarkerPoll)
	}
	for module := range c.Labels.Overrides {
		if _, err := c.Labels.Label(module); err != nil {
			return fmt.Errorf("label override: %w", err)
		}
	}
	return nil
}
