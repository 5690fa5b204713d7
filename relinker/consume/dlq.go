package consume

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Stage is the stage name in the relinker's dead-letter subjects.
const Stage = "relinker"

// DLQTopic is the topic given to the PoisonQueue middleware. The
// deadLetters publisher does not publish to it as a subject: each
// message goes to crm.dlq.relinker.<seq> (events.DeadLetterSubject).
const DLQTopic = "crm.dlq." + Stage

// deadLetters is the poison queue's publisher: it writes each poisoned
// marker as an events.DeadLetter on crm.dlq.relinker.<seq>.
type deadLetters struct {
	js      jetstream.JetStream
	timeout time.Duration
}

// Publish publishes each message as a dead letter; the topic is ignored.
func (d *deadLetters) Publish(_ string, msgs ...*message.Message) error {
	for _, m := range msgs {
		seq, _ := strconv.ParseUint(m.Metadata.Get(MetaSeq), 10, 64)
		dl := events.DeadLetter{
			Stage:   Stage,
			Seq:     seq,
			Subject: m.Metadata.Get(MetaSubject),
			Reason:  m.Metadata.Get(middleware.ReasonForPoisonedKey),
			Header:  header(m.Metadata),
			Data:    m.Payload,
		}
		nm, err := dl.Msg()
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
		_, err = d.js.PublishMsg(ctx, nm)
		cancel()
		if err != nil {
			return fmt.Errorf("publishing dead letter %s: %w", nm.Subject, err)
		}
	}
	return nil
}

// Close does nothing: the connection belongs to the caller.
func (d *deadLetters) Close() error { return nil }
