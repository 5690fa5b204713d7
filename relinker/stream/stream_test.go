package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/relinker/stream"
)

// Reading the stream leaves no consumer behind: the ordered consumers a
// read creates would otherwise show in `nats consumer report` until the
// server expires them.
func TestReadsLeaveNoConsumer(t *testing.T) {
	ns := natstest.Start(t)
	ns.Setup(t)
	ctx := context.Background()
	var first, last uint64
	for _, id := range []string{"1", "2", "3"} {
		body := []byte(`{"id":"` + id + `"}`)
		hash, err := events.CanonicalHash(body)
		if err != nil {
			t.Fatal(err)
		}
		ev := events.RecordEvent{Key: events.RecordKey{Source: "zoho", Module: "Contacts", ID: id},
			Op: events.OpUpsert, Run: "run-1", Hash: hash,
			Modified: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Body: body}
		msg, err := ev.Msg()
		if err != nil {
			t.Fatal(err)
		}
		ack, err := ns.JS.PublishMsg(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		if first == 0 {
			first = ack.Sequence
		}
		last = ack.Sequence
	}

	r := stream.NewReader(ns.JS)
	n := 0
	if _, err := r.Run(ctx, "zoho", "run-1", first, last, func(stream.Record) error {
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("read %d records of the run, want 3", n)
	}
	if _, err := r.Latest(ctx, "zoho", func(stream.Record) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if pending, err := r.Pending(ctx, "zoho"); err != nil || pending != 3 {
		t.Fatalf("Pending: %d, %v; want 3", pending, err)
	}
	if _, err := r.Schemas(ctx, "zoho"); err != nil {
		t.Fatal(err)
	}

	s, err := ns.JS.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Setup creates the stages' durable consumers; the reads add none.
	var names []string
	for name := range s.ConsumerNames(ctx).Name() {
		names = append(names, name)
	}
	for _, name := range names {
		c, err := s.Consumer(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if c.CachedInfo().Config.Durable == "" {
			t.Errorf("an ephemeral consumer is left after the reads: %s (%d consumers: %v)",
				name, info.State.Consumers, names)
		}
	}
}
