package stream

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Run reads the record events of one run of source: the sequences first
// to last of crm.rec.<source>.>, keeping the events whose Crm-Run is run
// (a later run may already have replaced some records; its own marker
// covers them). It calls fn with each record, in stream order; the
// record's body is valid only during the call.
func (r *Reader) Run(ctx context.Context, source, run string, first, last uint64,
	fn func(Record) error) (Stats, error) {
	var st Stats
	if first == 0 && last == 0 {
		return st, nil
	}
	if last < first || first == 0 {
		return st, fmt.Errorf("run %s: sequences %d to %d: %w", run, first, last, ErrBadRange)
	}
	filter, err := events.SourceRecords(source)
	if err != nil {
		return st, err
	}
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    first,
	}
	err = r.read(ctx, cfg, last, func(msg jetstream.Msg, seq uint64) error {
		st.Read++
		rec, err := decode(msg, seq)
		if err != nil {
			return err
		}
		if rec.Run != run {
			st.OtherRuns++
			return nil
		}
		st.Kept++
		return fn(rec)
	})
	if err != nil {
		return st, fmt.Errorf("reading run %s of %s: %w", run, source, err)
	}
	return st, nil
}

// Latest reads the latest event of every record of source (the stream
// keeps one per subject), in stream order, calling fn with each.
func (r *Reader) Latest(ctx context.Context, source string,
	fn func(Record) error) (Stats, error) {
	var st Stats
	filter, err := events.SourceRecords(source)
	if err != nil {
		return st, err
	}
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	}
	err = r.read(ctx, cfg, 0, func(msg jetstream.Msg, seq uint64) error {
		st.Read++
		rec, err := decode(msg, seq)
		if err != nil {
			return err
		}
		st.Kept++
		return fn(rec)
	})
	if err != nil {
		return st, fmt.Errorf("reading the records of %s: %w", source, err)
	}
	return st, nil
}

// Pending returns how many record events of source the stream holds, for
// progress reports.
func (r *Reader) Pending(ctx context.Context, source string) (uint64, error) {
	filter, err := events.SourceRecords(source)
	if err != nil {
		return 0, err
	}
	c, err := r.js.OrderedConsumer(ctx, events.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter}, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return 0, fmt.Errorf("counting the records of %s: %w", source, err)
	}
	defer r.drop(ctx, c)
	it, err := c.Messages(jetstream.PullMaxMessages(1))
	if err != nil {
		return 0, fmt.Errorf("counting the records of %s: %w", source, err)
	}
	defer it.Stop()
	if info := c.CachedInfo(); info != nil {
		return info.NumPending, nil
	}
	return 0, nil
}
