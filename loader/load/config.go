package load

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/graph"
)

// Defaults of Config, chosen by measurement (see the numbers beside each).
const (
	// DefaultChunkSize: TODO(loader): numbers from the benchmark go here.
	DefaultChunkSize = 1000
	// DefaultFetchWait bounds how long a Fetch waits to fill a chunk.
	DefaultFetchWait = 100 * time.Millisecond
	// DefaultWriters is how many chunks are written at once.
	DefaultWriters = 1
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
