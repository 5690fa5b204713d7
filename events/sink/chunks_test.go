package sink_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/sink"
)

// counter is a small example of a chunked sink: it keeps, per module, how
// many records it holds and the hash of each, as an index would. It can
// be told to fail its first calls or to be slow.
type counter struct {
	mu        sync.Mutex
	seqs      []uint64          // every record written, in order
	delivered map[uint64]uint64 // highest Delivered seen per seq
	hashes    map[events.RecordKey]string
	perModule map[string]int
	calls     int
	failFirst int           // calls that fail before any succeeds
	slowFirst time.Duration // how long the first call takes
	sizes     []int
}

func newCounter() *counter {
	return &counter{delivered: map[uint64]uint64{}, hashes: map[events.RecordKey]string{},
		perModule: map[string]int{}}
}

var errTargetDown = errors.New("target down")

func (c *counter) write(ctx context.Context, recs []sink.Record) error {
	c.mu.Lock()
	c.calls++
	call := c.calls
	c.mu.Unlock()
	if call == 1 && c.slowFirst > 0 {
		time.Sleep(c.slowFirst)
	}
	if call <= c.failFirst {
		return errTargetDown
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sizes = append(c.sizes, len(recs))
	for _, r := range recs {
		c.seqs = append(c.seqs, r.Seq)
		c.delivered[r.Seq] = max(c.delivered[r.Seq], r.Delivered)
		if _, ok := c.hashes[r.Key]; !ok {
			c.perModule[r.Key.Module]++
		}
		c.hashes[r.Key] = r.Hash
	}
	return nil
}

func (c *counter) written() []uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]uint64(nil), c.seqs...)
}

// runChunks runs RunChunks in the background until the returned stop is
// called.
func runChunks(t *testing.T, s *sink.Sink, opts sink.ChunkOptions, fn sink.ChunkFunc) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.RunChunks(ctx, opts, fn) }()
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
				t.Errorf("RunChunks: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("RunChunks did not return after its context ended")
		}
	}
	t.Cleanup(stop)
	return stop
}

func TestRunChunksBackfillsThenResumes(t *testing.T) {
	srv := startNATS(t)
	seqs := publish(t, srv.JS, 0, 2000)
	bad := publishRaw(t, srv.JS, badOp(t, 5000))
	seqs = append(seqs, publish(t, srv.JS, 2000, 500)...)

	cfg := sink.Config{Name: "index", MaxAckPending: 1000}
	s := open(t, srv.JS, cfg)
	c := newCounter()
	stop := runChunks(t, s, sink.ChunkOptions{Size: 300, Wait: 100 * time.Millisecond}, c.write)
	waitAckFloor(t, s, seqs[len(seqs)-1])
	stop()

	checkInOrder(t, c.written(), seqs)
	if c.perModule["Contacts"] != 1250 || c.perModule["Deals"] != 1250 {
		t.Errorf("records per module = %v, want 1250 each", c.perModule)
	}
	for _, n := range c.sizes {
		if n > 300 {
			t.Errorf("chunk of %d records, want at most 300", n)
		}
	}
	dl := deadLetter(t, srv.JS, "index", bad)
	if got := dl.Header.Get(events.HeaderDLQReason); !strings.Contains(got, "merge") {
		t.Errorf("dead letter reason %q, want it to name the bad op", got)
	}
	if got := dl.Header.Get(events.HeaderDLQSubject); !strings.HasPrefix(got, "crm.rec.zoho.") {
		t.Errorf("dead letter subject header %q", got)
	}

	// A restart resumes after the last acknowledgement: only new records.
	more := publish(t, srv.JS, 3000, 300)
	s = open(t, srv.JS, cfg)
	c2 := newCounter()
	stop = runChunks(t, s, sink.ChunkOptions{Size: 300, Wait: 100 * time.Millisecond}, c2.write)
	waitAckFloor(t, s, more[len(more)-1])
	stop()
	checkInOrder(t, c2.written(), more)
}

func TestRunChunksRetriesFailedChunkInPlace(t *testing.T) {
	srv := startNATS(t)
	seqs := publish(t, srv.JS, 0, 1000)
	s := open(t, srv.JS, sink.Config{Name: "flaky", MaxAckPending: 500})
	c := newCounter()
	c.failFirst = 3
	stop := runChunks(t, s, sink.ChunkOptions{Size: 200, Wait: 50 * time.Millisecond,
		RetryInterval: 10 * time.Millisecond}, c.write)
	waitAckFloor(t, s, seqs[len(seqs)-1])
	stop()

	checkInOrder(t, c.written(), seqs)
	for seq, d := range c.delivered {
		if d != 1 {
			t.Fatalf("seq %d delivered %d times: a retried chunk must not be redelivered", seq, d)
		}
	}
	if c.calls != len(c.sizes)+3 {
		t.Errorf("%d calls for %d chunks, want 3 failed calls more", c.calls, len(c.sizes))
	}
}

func TestRunChunksKeepsSlowChunkInProgress(t *testing.T) {
	srv := startNATS(t)
	seqs := publish(t, srv.JS, 0, 400)
	s := open(t, srv.JS, sink.Config{Name: "slow", AckWait: time.Second, MaxAckPending: 400})
	c := newCounter()
	c.slowFirst = 3 * time.Second // three ack waits
	stop := runChunks(t, s, sink.ChunkOptions{Size: 400, Wait: 200 * time.Millisecond}, c.write)
	waitAckFloor(t, s, seqs[len(seqs)-1])
	stop()

	checkInOrder(t, c.written(), seqs)
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.NumRedelivered != 0 {
		t.Errorf("%d messages redelivered while the slow chunk was in progress", info.NumRedelivered)
	}
}

func TestRunChunksGivesBackUnwrittenChunkOnShutdown(t *testing.T) {
	srv := startNATS(t)
	seqs := publish(t, srv.JS, 0, 100)
	cfg := sink.Config{Name: "stopping", MaxAckPending: 100}
	s := open(t, srv.JS, cfg)

	entered := make(chan struct{})
	var once sync.Once
	stop := runChunks(t, s, sink.ChunkOptions{Size: 100, Wait: 100 * time.Millisecond},
		func(ctx context.Context, recs []sink.Record) error {
			once.Do(func() { close(entered) })
			<-ctx.Done() // the target hangs until the sink stops
			return ctx.Err()
		})
	<-entered
	stop()

	// The next process gets the chunk at once, not after the ack wait.
	s = open(t, srv.JS, cfg)
	c := newCounter()
	start := time.Now()
	stop = runChunks(t, s, sink.ChunkOptions{Size: 100, Wait: 100 * time.Millisecond}, c.write)
	waitAckFloor(t, s, seqs[len(seqs)-1])
	stop()
	checkInOrder(t, c.written(), seqs)
	if wait := time.Since(start); wait > sink.DefaultAckWait/2 {
		t.Errorf("the unwritten chunk came back after %s", wait)
	}
	if c.delivered[seqs[0]] < 2 {
		t.Errorf("first record delivered %d times, want a redelivery", c.delivered[seqs[0]])
	}
}

func TestExclusiveSinkGetsWhatACrashedProcessHeldAtOnce(t *testing.T) {
	srv := startNATS(t)
	seqs := publish(t, srv.JS, 0, 300)
	cfg := sink.Config{Name: "crashy", MaxAckPending: 300, Exclusive: true}
	s := open(t, srv.JS, cfg)

	// A process takes a chunk and dies without a word to the server.
	batch, err := s.Consumer().Fetch(200, jetstream.FetchMaxWait(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	for range batch.Messages() {
		held++
	}
	if held != 200 {
		t.Fatalf("the crashed process held %d messages, want 200", held)
	}

	s = open(t, srv.JS, cfg)
	c := newCounter()
	start := time.Now()
	stop := runChunks(t, s, sink.ChunkOptions{Size: 100, Wait: 100 * time.Millisecond}, c.write)
	waitAckFloor(t, s, seqs[len(seqs)-1])
	stop()
	checkInOrder(t, c.written(), seqs)
	if wait := time.Since(start); wait > sink.DefaultAckWait/2 {
		t.Errorf("what the crashed process held came back after %s", wait)
	}
}

func TestReplayRewindsToTheStart(t *testing.T) {
	srv := startNATS(t)
	seqs := publish(t, srv.JS, 0, 600)
	// An update replaces a record's earlier version in the stream.
	upd := event(t, "Contacts", 0)
	upd.Body = []byte(`{"id":"1000000","n":0,"Name":"renamed"}`)
	upd.Hash, _ = events.CanonicalHash(upd.Body)
	m, _ := upd.Msg()
	last := publishRaw(t, srv.JS, m)

	cfg := sink.Config{Name: "replayed", MaxAckPending: 500}
	s := open(t, srv.JS, cfg)
	c := newCounter()
	stop := runChunks(t, s, sink.ChunkOptions{Size: 250, Wait: 50 * time.Millisecond}, c.write)
	waitAckFloor(t, s, last)
	stop()

	if err := sink.Replay(context.Background(), srv.JS, "replayed"); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	s = open(t, srv.JS, cfg)
	again := newCounter()
	stop = runChunks(t, s, sink.ChunkOptions{Size: 250, Wait: 50 * time.Millisecond}, again.write)
	waitAckFloor(t, s, last)
	stop()

	// The replay holds the stream as it is now: every record once, the
	// updated one in its new version.
	want := append(append([]uint64(nil), seqs[1:]...), last)
	checkInOrder(t, again.written(), want)
	checkInOrder(t, c.written(), want)
	if again.hashes[upd.Key] != upd.Hash {
		t.Errorf("replayed record %s has hash %s, want the update's", upd.Key, again.hashes[upd.Key])
	}
}

func TestRunChunksRefusesUnusableOptions(t *testing.T) {
	srv := startNATS(t)
	s := open(t, srv.JS, sink.Config{Name: "opts", MaxAckPending: 100})
	for _, tc := range []struct {
		name string
		opts sink.ChunkOptions
	}{
		{"chunk above max ack pending", sink.ChunkOptions{Size: 101}},
		{"negative size", sink.ChunkOptions{Size: -1}},
		{"wait above half the ack wait", sink.ChunkOptions{Size: 10, Wait: time.Minute}},
		{"retry interval above its maximum", sink.ChunkOptions{Size: 10,
			RetryInterval: time.Minute, MaxRetryInterval: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.RunChunks(context.Background(), tc.opts, newCounter().write)
			if !errors.Is(err, sink.ErrBadConfig) {
				t.Fatalf("RunChunks(%+v) = %v, want ErrBadConfig", tc.opts, err)
			}
		})
	}
}
