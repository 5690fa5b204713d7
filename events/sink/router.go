package sink

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/nats-io/nats.go"

	"github.com/crmgraph/crmgraph/events"
)

// HandlerFunc writes one record. It returns nil once the record is
// written for good; only then is it acknowledged. An error wrapping
// ErrPermanent sends the record to the dead letters; any other error is
// retried.
type HandlerFunc func(ctx context.Context, r Record) error

// Run hands the sink's records to fn one at a time through a watermill
// router (see NewRouter) until ctx ends, waits for the record in hand,
// and closes the subscriber, which drains nc: give it a connection of its
// own.
func (s *Sink) Run(ctx context.Context, nc *nats.Conn, opts MessageOptions, fn HandlerFunc) error {
	sub, err := s.NewSubscriber(nc, opts)
	if err != nil {
		return err
	}
	router, err := s.NewRouter(sub, fn)
	if err != nil {
		_ = sub.Close()
		return err
	}
	runErr := router.Run(ctx)
	closeErr := sub.Close()
	if runErr != nil {
		return fmt.Errorf("running sink %s: %w", s.cfg.Name, runErr)
	}
	if closeErr != nil {
		return fmt.Errorf("closing subscriber of sink %s: %w", s.cfg.Name, closeErr)
	}
	return nil
}

// NewRouter returns a watermill router with one handler, named after the
// sink, that decodes each message of sub and calls fn. Its middleware,
// outermost first:
//
//   - tracking: keeps the message in progress while it is handled and
//     acknowledges it, confirmed, once the chain below returns nil;
//   - PoisonQueue: a record that failed permanently (ErrPermanent, not a
//     record event, or a panic) goes to crm.dlq.<sink>.<seq> in the
//     events.DeadLetter format and is acknowledged;
//   - Retry: other failures are retried in process (MessageOptions),
//     then the record is given back to the server, which delivers it
//     again after NakDelay, without end: nothing is lost while the
//     sink's target is down;
//   - Recoverer: a panic becomes an error.
//
// Callers may add handlers or middleware before running it.
func (s *Sink) NewRouter(sub *Subscriber, fn HandlerFunc) (*message.Router, error) {
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: sub.opts.CloseTimeout},
		watermillLogger(s.log))
	if err != nil {
		return nil, fmt.Errorf("creating router of sink %s: %w", s.cfg.Name, err)
	}
	poison, err := middleware.PoisonQueueWithFilter(deadLetters{sink: s},
		"crm.dlq."+s.cfg.Name, permanent)
	if err != nil {
		return nil, fmt.Errorf("creating poison queue of sink %s: %w", s.cfg.Name, err)
	}
	router.AddMiddleware(
		sub.track,
		poison,
		middleware.Retry{
			MaxRetries:      sub.opts.Retries,
			InitialInterval: sub.opts.RetryInterval,
			MaxInterval:     16 * sub.opts.RetryInterval,
			Multiplier:      2,
			ShouldRetry:     func(p middleware.RetryParams) bool { return !permanent(p.Err) },
			Logger:          watermillLogger(s.log),
		}.Middleware,
		middleware.Recoverer,
	)
	router.AddConsumerHandler(s.cfg.Name, s.cfg.Filters[0], sub.Subscriber,
		func(m *message.Message) error {
			r, err := recordOf(m)
			if err != nil {
				return err
			}
			return fn(m.Context(), r)
		})
	return router, nil
}

// permanent reports whether a handler error goes to the dead letters.
func permanent(err error) bool {
	var panicked middleware.RecoveredPanicError
	return errors.Is(err, ErrPermanent) || errors.Is(err, ErrUndecodable) ||
		errors.As(err, &panicked)
}

// recordOf decodes the record a watermill message from a Subscriber holds.
func recordOf(m *message.Message) (Record, error) {
	seq := seqOf(m)
	e, err := events.DecodeRecord(m.Metadata.Get(MetaSubject), header(m.Metadata), m.Payload)
	if err != nil {
		return Record{}, fmt.Errorf("%w: seq %d: %w", ErrUndecodable, seq, err)
	}
	stored, _ := time.Parse(time.RFC3339Nano, m.Metadata.Get(MetaStored))
	delivered, _ := strconv.ParseUint(m.Metadata.Get(MetaDelivered), 10, 64)
	return Record{RecordEvent: e, Seq: seq, Stored: stored, Delivered: delivered}, nil
}

// deadLetters is the poison queue's publisher: it publishes each poisoned
// message as an events.DeadLetter on crm.dlq.<sink>.<seq>, whatever the
// topic.
type deadLetters struct {
	sink *Sink
}

// Publish publishes msgs as dead letters and waits for the stream to
// store each.
func (d deadLetters) Publish(_ string, msgs ...*message.Message) error {
	for _, m := range msgs {
		ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
		err := d.sink.deadLetter(ctx, seqOf(m), m.Metadata.Get(MetaSubject),
			header(m.Metadata), m.Payload, m.Metadata.Get(middleware.ReasonForPoisonedKey))
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// Close does nothing: the connection belongs to the sink.
func (deadLetters) Close() error { return nil }
