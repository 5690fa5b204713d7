// Package stream reads what the relinker needs back from the CRM stream:
// the record events of one run, the latest event of every record, and the
// latest schema of every module. Every read is an ordered consumer: one
// reader, in stream order, with no acknowledgements, recreated by the
// client on a gap.
package stream

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Errors returned by this package. Callers test for them with errors.Is.
var (
	// ErrBadRange means a run's marker gives a last sequence below its
	// first.
	ErrBadRange = errors.New("bad sequence range")
)

// pullBatch is how many messages the client asks for at once.
const pullBatch = 2000

// Record is a record event as the relinker needs it.
type Record struct {
	Module string
	ID     string
	Op     events.Op
	Run    string
	// Seq is the event's stream sequence.
	Seq  uint64
	Body []byte
}

// Reader reads the CRM stream.
type Reader struct {
	js jetstream.JetStream
}

// NewReader returns a Reader on js.
func NewReader(js jetstream.JetStream) *Reader { return &Reader{js: js} }

// Stats counts what a read saw.
type Stats struct {
	// Read counts record events read.
	Read int
	// Kept counts the events handed to the caller.
	Kept int
	// OtherRuns counts events of the range that a later run published
	// (the run's own version was replaced) and were skipped.
	OtherRuns int
}

// drop deletes an ordered consumer whose read is over. It is ephemeral
// and the server would remove it after a while, but until then it shows,
// with messages unprocessed, in `nats consumer report CRM`. A failure
// changes nothing.
func (r *Reader) drop(ctx context.Context, c jetstream.Consumer) {
	if info := c.CachedInfo(); info != nil {
		_ = r.js.DeleteConsumer(context.WithoutCancel(ctx), events.StreamName, info.Name)
	}
}

// read delivers the messages matching filter from the consumer's start,
// in order, until the one at or past last (0: until the end of what the
// stream held when the read started).
func (r *Reader) read(ctx context.Context, cfg jetstream.OrderedConsumerConfig, last uint64,
	fn func(jetstream.Msg, uint64) error) error {
	c, err := r.js.OrderedConsumer(ctx, events.StreamName, cfg)
	if err != nil {
		return fmt.Errorf("creating ordered consumer on %v: %w", cfg.FilterSubjects, err)
	}
	defer r.drop(ctx, c)
	it, err := c.Messages(jetstream.PullMaxMessages(pullBatch))
	if err != nil {
		return fmt.Errorf("reading %v: %w", cfg.FilterSubjects, err)
	}
	defer it.Stop()
	if info := c.CachedInfo(); info != nil && info.NumPending == 0 {
		return nil
	}

	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("reading %v: %w", cfg.FilterSubjects, err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("reading metadata on %s: %w", msg.Subject(), err)
		}
		seq := meta.Sequence.Stream
		if last > 0 && seq > last {
			return nil
		}
		if err := fn(msg, seq); err != nil {
			return err
		}
		if meta.NumPending == 0 || (last > 0 && seq >= last) {
			return nil
		}
	}
}

// decode reads a record event's key and the headers the relinker uses.
func decode(msg jetstream.Msg, seq uint64) (Record, error) {
	key, err := events.ParseRecordSubject(msg.Subject())
	if err != nil {
		return Record{}, err
	}
	h := msg.Headers()
	rec := Record{Module: key.Module, ID: key.ID, Op: events.Op(h.Get(events.HeaderOp)),
		Run: h.Get(events.HeaderRun), Seq: seq, Body: msg.Data()}
	if rec.Op != events.OpUpsert && rec.Op != events.OpDelete {
		return Record{}, fmt.Errorf("record %s: op %q: %w", key, rec.Op, events.ErrUnknownOp)
	}
	return rec, nil
}
