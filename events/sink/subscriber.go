package sink

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmjs "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/jetstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Defaults of MessageOptions.
const (
	DefaultRetries              = 3
	DefaultMessageRetryInterval = 100 * time.Millisecond
	DefaultNakDelay             = 5 * time.Second
	DefaultMaxHandleTime        = 10 * time.Minute
	DefaultCloseTimeout         = 30 * time.Second
)

// MessageOptions say how a sink handles records one at a time through
// watermill.
type MessageOptions struct {
	// Retries is how many times a failed record is handed to the handler
	// again in process, with exponential backoff from RetryInterval,
	// before it is given back to the server. Zero means DefaultRetries;
	// negative means none.
	Retries       int
	RetryInterval time.Duration
	// NakDelay is how long the server waits before delivering again a
	// record whose retries all failed. Zero means DefaultNakDelay.
	NakDelay time.Duration
	// MaxHandleTime is how long one record may take before watermill
	// stops waiting for it; the record is then redelivered. Zero means
	// DefaultMaxHandleTime.
	MaxHandleTime time.Duration
	// CloseTimeout bounds the wait for the record in hand at shutdown.
	// Zero means DefaultCloseTimeout.
	CloseTimeout time.Duration
}

func (o *MessageOptions) setDefaults() {
	switch {
	case o.Retries == 0:
		o.Retries = DefaultRetries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.RetryInterval == 0 {
		o.RetryInterval = DefaultMessageRetryInterval
	}
	if o.NakDelay == 0 {
		o.NakDelay = DefaultNakDelay
	}
	if o.MaxHandleTime == 0 {
		o.MaxHandleTime = DefaultMaxHandleTime
	}
	if o.CloseTimeout == 0 {
		o.CloseTimeout = DefaultCloseTimeout
	}
}

func (o MessageOptions) validate(name string) error {
	if o.RetryInterval < 0 || o.NakDelay < 0 || o.MaxHandleTime < 0 || o.CloseTimeout < 0 {
		return fmt.Errorf("sink %s: message options %+v: want no negative duration: %w",
			name, o, ErrBadConfig)
	}
	return nil
}

// prefetch is how many messages the subscriber asks the server for ahead
// of the one in hand; with MaxAckPending 1 the server sends one anyway.
// It is not 1 because nats.go v1.56's Consume, asked for one message at a
// time, was seen to stop pulling altogether under the race detector
// (waiting pulls 0, messages pending); 10 keeps the ack wait of buffered
// messages far from running out while the one in hand is handled.
const prefetch = 10

// Subscriber is a watermill subscriber (watermill-nats/v2 pkg/jetstream)
// on the sink's durable consumer. Unlike that package's defaults, it
// binds to the consumer Open made and never creates a consumer of its own
// or deletes one, it never fails to unmarshal a message, it buffers at
// most a few messages (not 500, whose ack wait would run out while earlier
// records are handled), and it acknowledges only what the handler
// wrote. Build it with NewSubscriber and hand it to NewRouter.
type Subscriber struct {
	*wmjs.Subscriber
	sink     *Sink
	opts     MessageOptions
	inflight *inflight
}

// NewSubscriber returns a watermill subscriber on the sink's consumer.
// Closing it drains nc, so nc must be a connection of its own.
func (s *Sink) NewSubscriber(nc *nats.Conn, opts MessageOptions) (*Subscriber, error) {
	opts.setDefaults()
	if err := opts.validate(s.cfg.Name); err != nil {
		return nil, err
	}
	flight := newInflight()
	sub, err := wmjs.NewSubscriber(wmjs.SubscriberConfig{
		Conn:                nc,
		Logger:              watermillLogger(s.log),
		AckWaitTimeout:      opts.MaxHandleTime,
		ResourceInitializer: s.bind,
		NakDelay:            wmjs.NewStaticDelay(opts.NakDelay),
		ConsumeOptions:      []jetstream.PullConsumeOpt{jetstream.PullMaxMessages(prefetch)},
		Unmarshaler:         &unmarshaler{inflight: flight},
	})
	if err != nil {
		return nil, fmt.Errorf("creating subscriber of sink %s: %w", s.cfg.Name, err)
	}
	return &Subscriber{Subscriber: sub, sink: s, opts: opts, inflight: flight}, nil
}

// bind is the subscriber's ResourceInitializer: it makes sure the sink's
// durable consumer exists as configured and binds to it. It returns no
// closer, so the consumer and its position outlive the subscriber.
func (s *Sink) bind(ctx context.Context, js jetstream.JetStream, _ string) (
	jetstream.Consumer, func(context.Context, watermill.LoggerAdapter), error) {
	cc, err := s.cfg.ConsumerConfig()
	if err != nil {
		return nil, nil, err
	}
	c, err := events.EnsureConsumer(ctx, js, cc)
	return c, nil, err
}

// watermillLogger adapts log for watermill, one level quieter: its info
// messages (one per message for the subscriber) become debug, its debug
// and trace messages are dropped, and its errors, which are retried,
// become warnings.
func watermillLogger(log *slog.Logger) watermill.LoggerAdapter {
	return watermill.NewSlogLoggerWithLevelMapping(log, map[slog.Level]slog.Level{
		slog.LevelError:      slog.LevelWarn,
		slog.LevelInfo:       slog.LevelDebug,
		slog.LevelDebug:      watermill.LevelTrace,
		watermill.LevelTrace: watermill.LevelTrace - 4,
	})
}

// track is the outermost middleware. While the record is handled it keeps
// the JetStream message in progress, so a slow record is not redelivered
// under a live process. When the handler failed because the sink is
// stopping, it gives the message back at once. When the handler succeeded
// while the sink is stopping, it acknowledges the message itself,
// confirmed: the subscriber, closing, would drop that ack.
func (sub *Subscriber) track(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		jm := sub.inflight.take(msg.UUID)
		if jm == nil {
			return h(msg)
		}
		stop := keepInProgress([]jetstream.Msg{jm}, sub.sink.cfg.AckWait/4)
		out, err := h(msg)
		stop()
		stopping := msg.Context().Err() != nil
		switch {
		case err != nil && stopping:
			_ = jm.Nak()
		case err == nil && stopping:
			ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
			defer cancel()
			if err := jm.DoubleAck(ctx); err != nil {
				return out, fmt.Errorf("acknowledging seq %s of sink %s: %w",
					msg.UUID, sub.sink.cfg.Name, err)
			}
		}
		return out, err
	}
}
