package events_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
)

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSetupCreatesStreamConsumersAndBuckets(t *testing.T) {
	ns := natstest.Start(t)
	ctx := testCtx(t)
	for range 2 { // the second run must be a no-op
		if err := events.Setup(ctx, ns.JS, events.StreamOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	s, err := ns.JS.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if cfg.Retention != jetstream.LimitsPolicy || cfg.Storage != jetstream.FileStorage ||
		cfg.MaxMsgsPerSubject != 1 || cfg.Duplicates != events.DefaultDuplicates ||
		!slices.Equal(cfg.Subjects, []string{"crm.>"}) {
		t.Fatalf("stream config = %+v", cfg)
	}

	loader, err := ns.JS.Consumer(ctx, events.StreamName, events.ConsumerLoader)
	if err != nil {
		t.Fatal(err)
	}
	lc := loader.CachedInfo().Config
	if lc.Durable != "loader" || lc.AckPolicy != jetstream.AckExplicitPolicy ||
		!slices.Equal(lc.FilterSubjects, []string{"crm.rec.>", "crm.run.*.*.extracted"}) {
		t.Fatalf("loader consumer config = %+v", lc)
	}
	relinker, err := ns.JS.Consumer(ctx, events.StreamName, events.ConsumerRelinker)
	if err != nil {
		t.Fatal(err)
	}
	if rc := relinker.CachedInfo().Config; rc.FilterSubject != "crm.run.*.*.loaded" ||
		rc.Durable != "relinker" {
		t.Fatalf("relinker consumer config = %+v", rc)
	}

	for _, b := range []string{events.BucketWatermarks, events.BucketLeases, events.BucketParked} {
		if _, err := ns.JS.KeyValue(ctx, b); err != nil {
			t.Errorf("bucket %s: %v", b, err)
		}
	}
}

func TestSetupConvergesAnOlderStreamWithoutLosingData(t *testing.T) {
	ns := natstest.Start(t)
	ctx := testCtx(t)
	old := jetstream.StreamConfig{
		Name:       events.StreamName,
		Subjects:   []string{"crm.rec.>"},
		Storage:    jetstream.FileStorage,
		Duplicates: time.Hour,
		MaxBytes:   1 << 30, // an operator's limit, which setup must keep
	}
	if _, err := ns.JS.CreateStream(ctx, old); err != nil {
		t.Fatal(err)
	}
	publishRecord(t, ns.JS, "1", `{"id":"1","v":1}`)

	if err := events.Setup(ctx, ns.JS, events.StreamOptions{}); err != nil {
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
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages after setup, want the 1 published before", info.State.Msgs)
	}
	if info.Config.MaxBytes != 1<<30 || info.Config.MaxMsgsPerSubject != 1 ||
		!slices.Equal(info.Config.Subjects, []string{"crm.>"}) {
		t.Fatalf("converged config = %+v", info.Config)
	}
}

func TestSetupRefusesAWorkQueueStream(t *testing.T) {
	ns := natstest.Start(t)
	ctx := testCtx(t)
	_, err := ns.JS.CreateStream(ctx, jetstream.StreamConfig{
		Name: events.StreamName, Subjects: []string{"crm.>"}, Retention: jetstream.WorkQueuePolicy,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = events.EnsureStream(ctx, ns.JS, events.StreamOptions{})
	if !errors.Is(err, events.ErrStreamConflict) {
		t.Fatalf("EnsureStream over a work-queue stream: error %v, want ErrStreamConflict", err)
	}
}

func TestRecordEventThroughTheStream(t *testing.T) {
	ns := natstest.Start(t)
	ns.Setup(t)
	ctx := testCtx(t)

	ack := publishRecord(t, ns.JS, "3652397000000251001", `{"id":"3652397000000251001","x":"ä"}`)
	raw, err := streamOf(t, ns.JS).GetMsg(ctx, ack.Sequence)
	if err != nil {
		t.Fatal(err)
	}
	e, err := events.DecodeRecord(raw.Subject, raw.Header, raw.Data)
	if err != nil {
		t.Fatal(err)
	}
	if e.Key.ID != "3652397000000251001" || e.Op != events.OpUpsert || e.Run != "run-1" ||
		e.Hash == "" || e.Modified.IsZero() || string(e.Body) != `{"id":"3652397000000251001","x":"ä"}` {
		t.Fatalf("decoded %+v", e)
	}
}

func TestSameMsgIDIsStoredOnce(t *testing.T) {
	ns := natstest.Start(t)
	ns.Setup(t)
	first := publishRecord(t, ns.JS, "7", `{"id":"7"}`)
	second := publishRecord(t, ns.JS, "7", `{"id":"7"}`)
	if !second.Duplicate || second.Sequence != first.Sequence {
		t.Fatalf("second publish: %+v, want a duplicate of sequence %d", second, first.Sequence)
	}
	if n := streamMsgs(t, ns.JS); n != 1 {
		t.Fatalf("stream holds %d messages, want 1", n)
	}
}

func TestStreamKeepsOnlyTheLatestVersionOfARecord(t *testing.T) {
	ns := natstest.Start(t)
	ns.Setup(t)
	ctx := testCtx(t)
	publishRecord(t, ns.JS, "9", `{"id":"9","v":1}`)
	publishRecord(t, ns.JS, "9", `{"id":"9","v":2}`)
	last := publishRecord(t, ns.JS, "9", `{"id":"9","v":3}`)
	publishRecord(t, ns.JS, "10", `{"id":"10","v":1}`)

	if n := streamMsgs(t, ns.JS); n != 2 {
		t.Fatalf("stream holds %d messages, want 2 (one per record)", n)
	}
	got, err := streamOf(t, ns.JS).GetLastMsgForSubject(ctx, "crm.rec.zoho.Contacts.9")
	if err != nil {
		t.Fatal(err)
	}
	if got.Sequence != last.Sequence || string(got.Data) != `{"id":"9","v":3}` {
		t.Fatalf("latest for record 9: seq %d %s", got.Sequence, got.Data)
	}
}

func publishRecord(t *testing.T, js jetstream.JetStream, id, body string) *jetstream.PubAck {
	t.Helper()
	canonical, err := events.Canonicalize([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	e := events.RecordEvent{
		Key: events.RecordKey{Source: "zoho", Module: "Contacts", ID: id},
		Op:  events.OpUpsert, Run: "run-1", Modified: time.Now(),
		Hash: events.Hash(canonical), Body: canonical,
	}
	m, err := e.Msg()
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.PublishMsg(testCtx(t), m)
	if err != nil {
		t.Fatal(err)
	}
	return ack
}

func streamOf(t *testing.T, js jetstream.JetStream) jetstream.Stream {
	t.Helper()
	s, err := js.Stream(testCtx(t), events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func streamMsgs(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	info, err := streamOf(t, js).Info(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}
