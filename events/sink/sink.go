package sink

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Sink is one sink's durable consumer on the CRM stream, ready to deliver
// record events by chunk (RunChunks) or one at a time through watermill
// (Run, or NewSubscriber and NewRouter).
type Sink struct {
	js       jetstream.JetStream
	cfg      Config
	consumer jetstream.Consumer
	log      *slog.Logger
}

// Open creates the sink's durable consumer, or updates it in place and
// keeps its position. A new sink therefore starts from the first message
// of the stream (a backfill) and a known one resumes where it left off;
// the consumer is never deleted here or by anything in this package. With
// cfg.Exclusive, Open also makes the messages an earlier process left
// unacknowledged deliverable again at once (see RedeliverPending).
//
// The CRM stream must exist: stages call events.Setup first.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config,
	log *slog.Logger) (*Sink, error) {
	cc, err := cfg.ConsumerConfig()
	if err != nil {
		return nil, err
	}
	cfg.setDefaults()
	c, err := events.EnsureConsumer(ctx, js, cc)
	if err != nil {
		return nil, fmt.Errorf("opening sink %s: %w", cfg.Name, err)
	}
	if cfg.Exclusive {
		if err := RedeliverPending(ctx, js, cfg.Name); err != nil {
			return nil, err
		}
	}
	log = log.With("sink", cfg.Name)
	return &Sink{js: js, cfg: cfg, consumer: c, log: log}, nil
}

// Name returns the sink's name.
func (s *Sink) Name() string { return s.cfg.Name }

// Config returns the sink's configuration, defaults applied.
func (s *Sink) Config() Config { return s.cfg }

// Consumer returns the sink's durable consumer.
func (s *Sink) Consumer() jetstream.Consumer { return s.consumer }

// Info returns the consumer's current state from the server: its
// position, ack floor and the messages pending for it.
func (s *Sink) Info(ctx context.Context) (*jetstream.ConsumerInfo, error) {
	info, err := s.consumer.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading consumer of sink %s: %w", s.cfg.Name, err)
	}
	return info, nil
}

// Replay rewinds the sink to the start of the stream (see Replay).
func (s *Sink) Replay(ctx context.Context) error {
	return Replay(ctx, s.js, s.cfg.Name)
}

// Replay rewinds the durable consumer of the sink name to the first
// message of the stream: its next deliveries are every record event the
// stream holds, the latest version of each record and every tombstone, in
// stream order. Whatever the sink wrote stays written: a sink that keeps
// history decides where the replay goes (the archive sink requires a new
// directory). Stop the sink's processes first, or they will see the
// stream again from the start without being told.
func Replay(ctx context.Context, js jetstream.JetStream, name string) error {
	if _, err := js.ResetConsumerToSequence(ctx, events.StreamName, name, 1); err != nil {
		return fmt.Errorf("rewinding sink %s to the start of stream %s: %w",
			name, events.StreamName, err)
	}
	return nil
}

// RedeliverPending puts the durable consumer of the sink name back just
// after its ack floor: every message delivered to it and not acknowledged
// is delivered again at once, in stream order, instead of one AckWait
// later. A sink run by one process calls it at start (Config.Exclusive),
// so that what a crashed or stopped predecessor had in hand comes first.
func RedeliverPending(ctx context.Context, js jetstream.JetStream, name string) error {
	if _, err := js.ResetConsumer(ctx, events.StreamName, name); err != nil {
		return fmt.Errorf("redelivering pending messages of sink %s: %w", name, err)
	}
	return nil
}
