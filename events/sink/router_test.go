package sink_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/events/sink"
)

// recorder is a per-message handler that remembers what it wrote and can
// be told how to treat given records.
type recorder struct {
	mu      sync.Mutex
	seqs    []uint64
	calls   map[uint64]int
	failFor map[uint64]int   // seq -> calls that fail before one succeeds
	poison  map[uint64]error // seq -> error returned every time
	panics  map[uint64]bool  // seq -> the handler panics
}

func newRecorder() *recorder {
	return &recorder{calls: map[uint64]int{}, failFor: map[uint64]int{},
		poison: map[uint64]error{}, panics: map[uint64]bool{}}
}

func (r *recorder) handle(ctx context.Context, rec sink.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[rec.Seq]++
	if r.panics[rec.Seq] {
		panic("handler bug")
	}
	if err := r.poison[rec.Seq]; err != nil {
		return err
	}
	if r.calls[rec.Seq] <= r.failFor[rec.Seq] {
		return errTargetDown
	}
	r.seqs = append(r.seqs, rec.Seq)
	return nil
}

func (r *recorder) written() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint64(nil), r.seqs...)
}

// runMessages runs Sink.Run on a connection of its own until the returned
// stop is called.
func runMessages(t *testing.T, srv *natstest.Server, s *sink.Sink, fn sink.HandlerFunc) func() {
	t.Helper()
	nc := connect(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	opts := sink.MessageOptions{RetryInterval: time.Millisecond, NakDelay: 100 * time.Millisecond,
		CloseTimeout: 10 * time.Second}
	go func() { done <- s.Run(ctx, nc, opts, fn) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	}
	t.Cleanup(stop)
	return stop
}

func TestRunHandlesEveryRecordOnceInOrder(t *testing.T) {
	srv := startNATS(t)
	seqs := publish(t, srv.JS, 0, 300)

	// A record with a header of several values: watermill-nats's default
	// unmarshaler fails on it and the subscriber then crashes.
	multi, _ := event(t, "Contacts", 300).Msg()
	multi.Header.Add("X-Tag", "a")
	multi.Header.Add("X-Tag", "b")
	seqs = append(seqs, publishRaw(t, srv.JS, multi))

	bad := publishRaw(t, srv.JS, badOp(t, 301))
	rest := publish(t, srv.JS, 302, 100)
	// Three records the handler cannot write for good, and one it writes
	// at the fourth attempt.
	perm, pan, flaky := rest[10], rest[20], rest[30]
	for _, seq := range rest {
		if seq != perm && seq != pan {
			seqs = append(seqs, seq)
		}
	}

	r := newRecorder()
	r.poison[perm] = sink.Permanent(errors.New("record too large"))
	r.panics[pan] = true
	r.failFor[flaky] = 3

	s := open(t, srv.JS, sink.Config{Name: "mirror"})
	stop := runMessages(t, srv, s, r.handle)
	waitAckFloor(t, s, rest[len(rest)-1])
	stop()

	checkInOrder(t, r.written(), seqs)
	if r.calls[flaky] != 4 {
		t.Errorf("flaky record handled %d times, want 4", r.calls[flaky])
	}
	for _, tc := range []struct {
		seq    uint64
		reason string
	}{{bad, "merge"}, {perm, "record too large"}, {pan, "handler bug"}} {
		dl := deadLetter(t, srv.JS, "mirror", tc.seq)
		reason := dl.Header.Get(events.HeaderDLQReason)
		if !strings.Contains(reason, tc.reason) || strings.ContainsAny(reason, "\r\n") {
			t.Errorf("dead letter of seq %d: reason %q, want one line naming %q",
				tc.seq, reason, tc.reason)
		}
	}
	if r.calls[perm] != 1 {
		t.Errorf("permanent failure handled %d times, want 1 (no retry)", r.calls[perm])
	}

	// Closing the subscriber left the durable consumer in place.
	time.Sleep(6 * time.Second) // past an ephemeral consumer's inactive threshold
	c, err := srv.JS.Consumer(context.Background(), events.StreamName, "mirror")
	if err != nil {
		t.Fatalf("the sink's consumer is gone after Run returned: %v", err)
	}
	if c.CachedInfo().Config.Durable != "mirror" {
		t.Errorf("consumer %+v is not durable", c.CachedInfo().Config)
	}
}

func TestRunResumesWithoutGapOrDuplicate(t *testing.T) {
	srv := startNATS(t)
	seqs := publish(t, srv.JS, 0, 2000)
	cfg := sink.Config{Name: "resumed", Exclusive: true}

	// Delivery is at least once: a record handled just before the stop may
	// come again if its ack did not land. As the package documents, a sink
	// that must not write twice skips what it already wrote, by sequence;
	// what must never happen is a gap or a record out of order.
	r := newRecorder()
	handle := func(ctx context.Context, rec sink.Record) error {
		if w := r.written(); len(w) > 0 && rec.Seq <= w[len(w)-1] {
			return nil
		}
		return r.handle(ctx, rec)
	}
	s := open(t, srv.JS, cfg)
	stop := runMessages(t, srv, s, handle)
	deadline := time.Now().Add(30 * time.Second)
	for len(r.written()) < 500 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	first := len(r.written())
	if first == 0 || first == len(seqs) {
		t.Fatalf("the first run wrote %d records: the stop did not land mid-stream", first)
	}

	s = open(t, srv.JS, cfg)
	stop = runMessages(t, srv, s, handle)
	waitAckFloor(t, s, seqs[len(seqs)-1])
	stop()
	checkInOrder(t, r.written(), seqs)
}

func TestSubscriberNeedsItsOwnConnection(t *testing.T) {
	// Closing the watermill subscriber drains its connection; Run says so
	// and the sink's JetStream context, on another connection, lives on.
	srv := startNATS(t)
	publish(t, srv.JS, 0, 10)
	s := open(t, srv.JS, sink.Config{Name: "own"})
	nc := connect(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.Run(ctx, nc, sink.MessageOptions{}, newRecorder().handle); err != nil {
		t.Fatalf("Run: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for nc.Status() != nats.CLOSED && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if nc.Status() != nats.CLOSED {
		t.Errorf("subscriber connection is %v after Run, want closed (drained)", nc.Status())
	}
	if _, err := s.Info(context.Background()); err != nil {
		t.Errorf("sink unusable after Run: %v", err)
	}
}
