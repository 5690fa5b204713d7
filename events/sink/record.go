package sink

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Record is one record event as a sink receives it: the event and where
// it sits in the stream.
type Record struct {
	events.RecordEvent
	// Seq is the event's stream sequence. Sequences grow with every
	// message, so a sink that receives in stream order can tell a
	// redelivery from a new event by comparing them.
	Seq uint64
	// Stored is when the stream stored the event.
	Stored time.Time
	// Delivered counts the deliveries of this event to this sink: 1 the
	// first time, more after a failure or an ack timeout. Replay and
	// RedeliverPending start the count again.
	Delivered uint64
}

// decode reads a record from a JetStream message.
func decode(msg jetstream.Msg) (Record, error) {
	meta, err := msg.Metadata()
	if err != nil {
		return Record{}, fmt.Errorf("reading metadata of %s: %w", msg.Subject(), err)
	}
	e, err := events.DecodeRecord(msg.Subject(), msg.Headers(), msg.Data())
	if err != nil {
		return Record{}, fmt.Errorf("%w: seq %d: %w", ErrUndecodable, meta.Sequence.Stream, err)
	}
	return Record{
		RecordEvent: e,
		Seq:         meta.Sequence.Stream,
		Stored:      meta.Timestamp,
		Delivered:   meta.NumDelivered,
	}, nil
}

// deadLetter publishes a message the sink cannot process on
// crm.dlq.<sink>.<seq>, with the reason, and waits for the stream to
// store it.
func (s *Sink) deadLetter(ctx context.Context, seq uint64, subject string,
	h nats.Header, data []byte, reason string) error {
	m, err := events.DeadLetter{
		Stage:   s.cfg.Name,
		Seq:     seq,
		Subject: subject,
		Reason:  oneLine(reason),
		Header:  h,
		Data:    data,
	}.Msg()
	if err != nil {
		return err
	}
	if _, err := s.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("publishing dead letter %s: %w", m.Subject, err)
	}
	s.log.Warn("sink sent message to dead letters", "seq", seq, "subject", subject,
		"dead_letter", m.Subject, "reason", reason)
	return nil
}

// maxReason bounds a dead letter's reason, which travels as a header.
const maxReason = 1024

// oneLine makes a reason fit a header value: one line, at most maxReason
// bytes. A panic's reason holds a whole stack trace.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxReason {
		s = strings.ToValidUTF8(s[:maxReason], "")
	}
	return s
}
