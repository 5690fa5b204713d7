package sink

import (
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Defaults and limits of Config.
const (
	// DefaultAckWait is how long the server waits for a sink's
	// acknowledgement before delivering a message again.
	DefaultAckWait = time.Minute
	// MinAckWait is the shortest AckWait accepted.
	MinAckWait = time.Second
	// MaxMaxAckPending bounds MaxAckPending.
	MaxMaxAckPending = 100000
)

// Config describes one sink: its durable consumer on the CRM stream and
// how messages flow to it. The zero value of every field but Name is a
// usable default.
type Config struct {
	// Name names the sink: its durable consumer, its dead-letter subjects
	// (crm.dlq.<name>.<seq>) and its log lines. It must be a safe subject
	// token (letters, digits, '_' and '-').
	Name string
	// Filters are the subjects the sink reads, all of them record events
	// (crm.rec. prefix). Empty means every record event (events.AllRecords).
	Filters []string
	// AckWait is how long the server waits for an acknowledgement before
	// delivering a message again. Handlers that run long are kept alive
	// with progress signals, so AckWait only bounds how long the messages
	// of a crashed process stay out of reach. Zero means DefaultAckWait.
	AckWait time.Duration
	// MaxAckPending bounds the messages delivered and not yet
	// acknowledged, across every process of the sink. Zero means 1: the
	// sink then receives messages strictly in stream order, redeliveries
	// included. A chunked sink needs at least its chunk size.
	MaxAckPending int
	// Exclusive says one process at a time runs the sink. Open then makes
	// the messages that an earlier process received and never
	// acknowledged deliverable again at once, in stream order, instead of
	// after AckWait. Never set it for a sink that several processes share:
	// it would hand their messages in flight to a second reader.
	Exclusive bool
}

func (c *Config) setDefaults() {
	if len(c.Filters) == 0 {
		c.Filters = []string{events.AllRecords}
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = 1
	}
}

// Validate reports the first unusable field of a Config after defaults.
func (c Config) Validate() error {
	c.setDefaults()
	if !events.ValidToken(c.Name) {
		return fmt.Errorf("sink name %q: want letters, digits, '_' or '-': %w",
			c.Name, ErrBadConfig)
	}
	for _, f := range c.Filters {
		if !strings.HasPrefix(f, "crm.rec.") {
			return fmt.Errorf("sink %s: filter %q: want a record subject (crm.rec.>): %w",
				c.Name, f, ErrBadConfig)
		}
	}
	if c.AckWait < MinAckWait {
		return fmt.Errorf("sink %s: ack wait %s: want at least %s: %w",
			c.Name, c.AckWait, MinAckWait, ErrBadConfig)
	}
	if c.MaxAckPending < 1 || c.MaxAckPending > MaxMaxAckPending {
		return fmt.Errorf("sink %s: max ack pending %d: want 1 to %d: %w",
			c.Name, c.MaxAckPending, MaxMaxAckPending, ErrBadConfig)
	}
	return nil
}

// ConsumerConfig returns the sink's durable pull consumer:
// events.SinkConsumerConfig (every message from the start of the stream,
// explicit acks, no delivery limit) with the AckWait and MaxAckPending of c.
func (c Config) ConsumerConfig() (jetstream.ConsumerConfig, error) {
	if err := c.Validate(); err != nil {
		return jetstream.ConsumerConfig{}, err
	}
	c.setDefaults()
	cc, err := events.SinkConsumerConfig(c.Name, c.Filters...)
	if err != nil {
		return jetstream.ConsumerConfig{}, err
	}
	cc.AckWait = c.AckWait
	cc.MaxAckPending = c.MaxAckPending
	return cc, nil
}
