package consume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmjs "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/jetstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Errors returned by this package. Callers test for them with errors.Is.
var (
	// ErrBadMarker means a message on a loaded-marker subject is not a
	// marker; it goes to the dead-letter subject.
	ErrBadMarker = errors.New("undecodable marker")
	// ErrBadConfig means Run was given an unusable configuration.
	ErrBadConfig = errors.New("bad consumer configuration")
)

// Handler relinks the run of one loaded marker.
type Handler func(ctx context.Context, m *events.Marker) error

// Config configures Run.
type Config struct {
	// Conn is the subscriber's own connection: closing the subscriber
	// drains it, so it must not be shared.
	Conn *nats.Conn
	// JS publishes dead letters and sets up the durable consumer.
	JS jetstream.JetStream
	// Consumer is the durable consumer to bind to, normally
	// events.RelinkerConsumerConfig().
	Consumer jetstream.ConsumerConfig
	// MaxRunTime is how long a marker may be handled before watermill
	// stops waiting for its outcome (the message is then redelivered).
	MaxRunTime time.Duration
	// Retries and RetryInterval are the in-process retries of a failed
	// marker (exponential backoff from RetryInterval).
	Retries       int
	RetryInterval time.Duration
	// NakDelay is how long the server waits before redelivering a marker
	// that failed every retry.
	NakDelay time.Duration
	// Permanent reports whether a handler error cannot be fixed by a
	// retry; such markers go to the dead-letter subject.
	Permanent func(error) bool
	// Log receives the router's messages (its info messages at debug).
	Log *slog.Logger
}

func (c *Config) validate() error {
	if c.Conn == nil || c.JS == nil || c.Consumer.Durable == "" || c.MaxRunTime <= 0 ||
		c.Retries < 0 || c.RetryInterval <= 0 || c.NakDelay < 0 || c.Log == nil {
		return fmt.Errorf("consumer %q: %w", c.Consumer.Durable, ErrBadConfig)
	}
	if c.Permanent == nil {
		c.Permanent = func(error) bool { return false }
	}
	return nil
}

// Run handles loaded markers until ctx ends, then waits for the marker in
// hand to finish or give up, and closes the subscriber (which drains
// cfg.Conn).
func Run(ctx context.Context, cfg Config, h Handler) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	logger := watermill.NewSlogLoggerWithLevelMapping(cfg.Log, map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug,
	})
	flight := newInflight()
	sub, err := wmjs.NewSubscriber(wmjs.SubscriberConfig{
		Conn:                cfg.Conn,
		Logger:              logger,
		AckWaitTimeout:      cfg.MaxRunTime,
		ResourceInitializer: bind(cfg.Consumer),
		NakDelay:            wmjs.NewStaticDelay(cfg.NakDelay),
		ConsumeOptions:      []jetstream.PullConsumeOpt{jetstream.PullMaxMessages(1)},
		Unmarshaler:         &unmarshaler{inflight: flight},
	})
	if err != nil {
		return fmt.Errorf("creating marker subscriber: %w", err)
	}
	defer sub.Close()

	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: time.Minute}, logger)
	if err != nil {
		return fmt.Errorf("creating marker router: %w", err)
	}
	permanent := func(err error) bool {
		var panicked middleware.RecoveredPanicError
		return errors.Is(err, ErrBadMarker) || errors.As(err, &panicked) || cfg.Permanent(err)
	}
	poison, err := middleware.PoisonQueueWithFilter(
		&deadLetters{js: cfg.JS, timeout: 10 * time.Second}, DLQTopic, permanent)
	if err != nil {
		return fmt.Errorf("creating poison queue: %w", err)
	}
	t := &tracker{inflight: flight, every: cfg.Consumer.AckWait / 4, log: cfg.Log}
	router.AddMiddleware(
		t.middleware,
		poison,
		middleware.Retry{
			MaxRetries:      cfg.Retries,
			InitialInterval: cfg.RetryInterval,
			MaxInterval:     16 * cfg.RetryInterval,
			Multiplier:      2,
			MaxElapsedTime:  cfg.MaxRunTime,
			ShouldRetry:     func(p middleware.RetryParams) bool { return !permanent(p.Err) },
			Logger:          logger,
		}.Middleware,
		middleware.Recoverer,
	)
	router.AddConsumerHandler("relinker", events.StageMarkers(events.StageLoaded), sub,
		func(msg *message.Message) error { return handle(msg, h) })

	if err := router.Run(ctx); err != nil {
		return fmt.Errorf("running marker router: %w", err)
	}
	return nil
}

// bind returns a ResourceInitializer that creates or updates the durable
// consumer and binds to it. It returns no closer: the consumer is never
// deleted by the subscriber.
func bind(cfg jetstream.ConsumerConfig) wmjs.ResourceInitializer {
	return func(ctx context.Context, js jetstream.JetStream, _ string) (
		jetstream.Consumer, func(context.Context, watermill.LoggerAdapter), error) {
		c, err := events.EnsureConsumer(ctx, js, cfg)
		return c, nil, err
	}
}

// handle decodes the marker and calls h.
func handle(msg *message.Message, h Handler) error {
	subject := msg.Metadata.Get(MetaSubject)
	m, err := events.DecodeMarker(subject, header(msg.Metadata), msg.Payload)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadMarker, err)
	}
	return h(msg.Context(), m)
}
