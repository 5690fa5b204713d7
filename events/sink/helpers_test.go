package sink_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/events/sink"
)

// testLog discards logs unless SINK_TEST_LOG is set.
func testLog() *slog.Logger {
	if os.Getenv("SINK_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startNATS starts an embedded server with the CRM stream.
func startNATS(t *testing.T) *natstest.Server {
	t.Helper()
	srv := natstest.Start(t)
	srv.Setup(t)
	return srv
}

// connect opens a connection of the test's own, closed at cleanup.
func connect(t testing.TB, srv *natstest.Server) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(srv.URL)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// event returns the i-th test record event of module.
func event(t testing.TB, module string, i int) events.RecordEvent {
	t.Helper()
	id := fmt.Sprintf("%d", 1000000+i)
	body := fmt.Appendf(nil, `{"id":%q,"n":%d,"Name":"record <%d> & co"}`, id, i, i)
	h, err := events.CanonicalHash(body)
	if err != nil {
		t.Fatal(err)
	}
	return events.RecordEvent{
		Key:      events.RecordKey{Source: "zoho", Module: module, ID: id},
		Op:       events.OpUpsert,
		Run:      "20260101T000000Z-abcdef",
		Modified: time.Date(2025, 1, 1, 0, 0, i%60, 0, time.UTC),
		Hash:     h,
		Body:     body,
	}
}

// publish publishes n record events (ids from..from+n-1, alternating two
// modules) and returns their stream sequences in order.
func publish(t testing.TB, js jetstream.JetStream, from, n int) []uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	futures := make([]jetstream.PubAckFuture, 0, n)
	for i := from; i < from+n; i++ {
		module := []string{"Contacts", "Deals"}[i%2]
		m, err := event(t, module, i).Msg()
		if err != nil {
			t.Fatal(err)
		}
		f, err := js.PublishMsgAsync(m)
		if err != nil {
			t.Fatalf("publishing: %v", err)
		}
		futures = append(futures, f)
	}
	seqs := make([]uint64, 0, n)
	for _, f := range futures {
		select {
		case ack := <-f.Ok():
			seqs = append(seqs, ack.Sequence)
		case err := <-f.Err():
			t.Fatalf("publishing: %v", err)
		case <-ctx.Done():
			t.Fatal("publishing: timed out")
		}
	}
	return seqs
}

// publishRaw publishes a message that is not a valid record event and
// returns its sequence.
func publishRaw(t *testing.T, js jetstream.JetStream, m *nats.Msg) uint64 {
	t.Helper()
	ack, err := js.PublishMsg(context.Background(), m)
	if err != nil {
		t.Fatalf("publishing %s: %v", m.Subject, err)
	}
	return ack.Sequence
}

// badOp returns a record event whose Crm-Op is unknown.
func badOp(t *testing.T, i int) *nats.Msg {
	t.Helper()
	m, err := event(t, "Contacts", i).Msg()
	if err != nil {
		t.Fatal(err)
	}
	m.Header.Set(events.HeaderOp, "merge")
	return m
}

// open opens a sink and fails the test on error.
func open(t *testing.T, js jetstream.JetStream, cfg sink.Config) *sink.Sink {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := sink.Open(ctx, js, cfg, testLog())
	if err != nil {
		t.Fatalf("opening sink %s: %v", cfg.Name, err)
	}
	return s
}

// waitAckFloor waits until the sink's ack floor reaches seq.
func waitAckFloor(t testing.TB, s *sink.Sink, seq uint64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		info, err := s.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.AckFloor.Stream >= seq {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ack floor of %s stuck at %d, want %d (pending %d, ack pending %d, "+
				"waiting pulls %d, delivered %d)", s.Name(), info.AckFloor.Stream, seq,
				info.NumPending, info.NumAckPending, info.NumWaiting, info.Delivered.Stream)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deadLetter reads the dead letter of a sink for seq.
func deadLetter(t *testing.T, js jetstream.JetStream, name string,
	seq uint64) *jetstream.RawStreamMsg {
	t.Helper()
	s, err := js.Stream(context.Background(), events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	subject, err := events.DeadLetterSubject(name, seq)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(context.Background(), subject)
	if err != nil {
		t.Fatalf("reading dead letter %s: %v", subject, err)
	}
	return m
}

// checkInOrder fails unless got holds want exactly, in order.
func checkInOrder(t *testing.T, got, want []uint64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("received %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("record %d: seq %d, want %d", i, got[i], want[i])
		}
	}
}
