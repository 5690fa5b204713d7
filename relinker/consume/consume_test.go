package consume_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/relinker/consume"
)

var errPermanent = errors.New("permanent")

// recorder is a handler whose behaviour depends on the run: "fail-once"
// fails the first time, "permanent" always fails permanently, "panic"
// panics; every other run succeeds.
type recorder struct {
	mu      sync.Mutex
	calls   map[string]int
	done    chan string
	entered chan string
}

func (r *recorder) handle(ctx context.Context, m *events.Marker) error {
	r.mu.Lock()
	r.calls[m.Run]++
	n := r.calls[m.Run]
	r.mu.Unlock()
	switch {
	case m.Run == "fail-once" && n == 1:
		return errors.New("neo4j is down")
	case m.Run == "permanent":
		return errPermanent
	case m.Run == "panic":
		panic("handler bug")
	case m.Run == "slow" && n == 1:
		r.entered <- m.Run
		<-ctx.Done() // shutdown while the marker is in hand
		return ctx.Err()
	}
	r.done <- m.Run
	return nil
}

func start(t *testing.T, ns *natstest.Server, h consume.Handler) context.CancelFunc {
	t.Helper()
	conn, _, err := events.Connect(ns.URL, "test-markers")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- consume.Run(ctx, consume.Config{
			Conn: conn, JS: ns.JS, Consumer: events.RelinkerConsumerConfig(),
			MaxRunTime: time.Minute, Retries: 2, RetryInterval: 10 * time.Millisecond,
			NakDelay:  100 * time.Millisecond,
			Permanent: func(err error) bool { return errors.Is(err, errPermanent) },
			Log:       slog.New(slog.NewTextHandler(testLog(), &slog.HandlerOptions{Level: slog.LevelDebug})),
		}, h)
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("consume.Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

func publishMarker(t *testing.T, ns *natstest.Server, run string) uint64 {
	t.Helper()
	m := &events.Marker{Source: "zoho", Run: run, Stage: events.StageLoaded}
	msg, err := m.Msg()
	if err != nil {
		t.Fatal(err)
	}
	return publish(t, ns, msg)
}

func publish(t *testing.T, ns *natstest.Server, msg *nats.Msg) uint64 {
	t.Helper()
	ack, err := ns.JS.PublishMsg(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

func wait(t *testing.T, done chan string, want string) {
	t.Helper()
	select {
	case got := <-done:
		if got != want {
			t.Fatalf("handled %s, want %s", got, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("marker %s not handled", want)
	}
}

func deadLetter(t *testing.T, ns *natstest.Server, seq uint64) *nats.Header {
	t.Helper()
	s, err := ns.JS.Stream(context.Background(), events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	subj := "crm.dlq.relinker." + strconv.FormatUint(seq, 10)
	for range 100 {
		raw, err := s.GetLastMsgForSubject(context.Background(), subj)
		if err == nil {
			h := raw.Header
			return &h
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no dead letter on %s", subj)
	return nil
}

func TestMarkersFlowThroughTheRouter(t *testing.T) {
	ns := natstest.Start(t)
	ns.Setup(t)
	rec := &recorder{calls: map[string]int{}, done: make(chan string, 10),
		entered: make(chan string, 1)}
	stop := start(t, ns, rec.handle)
	outer := t

	t.Run("handled and acknowledged", func(t *testing.T) {
		publishMarker(t, ns, "r1")
		wait(t, rec.done, "r1")
	})
	t.Run("a transient failure is retried", func(t *testing.T) {
		publishMarker(t, ns, "fail-once")
		wait(t, rec.done, "fail-once")
		if rec.calls["fail-once"] != 2 {
			t.Fatalf("called %d times, want 2", rec.calls["fail-once"])
		}
	})
	t.Run("permanent failures, panics and bad markers go to the DLQ", func(t *testing.T) {
		perm := publishMarker(t, ns, "permanent")
		pan := publishMarker(t, ns, "panic")
		bad := nats.NewMsg("crm.run.zoho.broken.loaded")
		bad.Data = []byte("{not json")
		bad.Header.Add("X-Multi", "a")
		bad.Header.Add("X-Multi", "b") // several values must not break the subscriber
		badSeq := publish(t, ns, bad)
		publishMarker(t, ns, "after")
		wait(t, rec.done, "after")
		for seq, reason := range map[uint64]string{perm: "permanent", pan: "handler bug",
			badSeq: "undecodable marker"} {
			h := deadLetter(t, ns, seq)
			if got := h.Get(events.HeaderDLQReason); !contains(got, reason) {
				t.Errorf("dead letter of %d: reason %q, want it to name %q", seq, got, reason)
			}
			if h.Get(events.HeaderDLQSeq) != strconv.FormatUint(seq, 10) {
				t.Errorf("dead letter of %d: seq header %q", seq, h.Get(events.HeaderDLQSeq))
			}
		}
		if rec.calls["permanent"] != 1 {
			t.Errorf("permanent failure retried: %d calls", rec.calls["permanent"])
		}
	})

	t.Run("the durable consumer outlives the process", func(t *testing.T) {
		stop()
		c, err := ns.JS.Consumer(context.Background(), events.StreamName, events.ConsumerRelinker)
		if err != nil {
			t.Fatalf("consumer gone after the router stopped: %v", err)
		}
		info, _ := c.Info(context.Background())
		if info.NumAckPending != 0 || info.NumPending != 0 {
			t.Fatalf("consumer has %d pending, %d unacknowledged", info.NumPending,
				info.NumAckPending)
		}
		publishMarker(t, ns, "while-down")
		stop = start(outer, ns, rec.handle) // runs on into the next subtest
		wait(t, rec.done, "while-down")
	})

	t.Run("a marker abandoned at shutdown is handed back at once", func(t *testing.T) {
		publishMarker(t, ns, "slow")
		wait(t, rec.entered, "slow")
		stop()
		// The consumer's ack wait is ten minutes: only the nak on
		// shutdown lets the next process have the marker this soon.
		start(outer, ns, rec.handle)
		wait(t, rec.done, "slow")
	})
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func testLog() io.Writer {
	if os.Getenv("CONSUME_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
