package archive_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/events/sink"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
	"github.com/crmgraph/crmgraph/sinks/archive"
	"github.com/crmgraph/crmgraph/sinks/internal/seedtest"
)

func testLog() *slog.Logger {
	if os.Getenv("ARCHIVE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// sinkConfig is the archive sink's configuration, as the binary sets it.
var sinkConfig = sink.Config{Name: "archive", Exclusive: true}

// running is an archive process in the test: Open, sink.Open and Run.
type running struct {
	a    *archive.Archive
	stop func()
}

// start opens the archive in dir and runs it until stop.
func start(t *testing.T, srv *natstest.Server, cfg archive.Config, replay bool) *running {
	t.Helper()
	a, err := archive.Open(cfg, testLog(), nil)
	if err != nil {
		t.Fatalf("opening archive: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := sink.Open(ctx, srv.JS, sinkConfig, testLog())
	if err != nil {
		t.Fatalf("opening sink: %v", err)
	}
	if replay {
		if _, err := a.ReplayIfEmpty(ctx, s); err != nil {
			t.Fatalf("replay: %v", err)
		}
	}
	nc, err := nats.Connect(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, s, nc, sink.MessageOptions{NakDelay: 100 * time.Millisecond}) }()
	stopped := false
	r := &running{a: a}
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("archive Run: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Error("archive did not stop within a minute")
		}
	}
	t.Cleanup(r.stop)
	return r
}

func TestArchiveBackfillsSeedScaleThenSurvivesRestarts(t *testing.T) {
	srv := natstest.Start(t)
	srv.Setup(t)
	sim := seedtest.NewSim(t)
	log := seedtest.NewLog()

	t0 := time.Now()
	n := seedtest.PublishAll(t, srv.JS, sim, log)
	if n != 58741 {
		t.Fatalf("published %d records, want the seed scale's 58,741", n)
	}
	t.Logf("published %d record events in %.2fs", n, time.Since(t0).Seconds())

	// The archive starts after the sync: a backfill.
	dir := t.TempDir()
	cfg := archive.Config{Dir: dir, MaxFileRecords: 5000}
	t0 = time.Now()
	r := start(t, srv, cfg, false)
	seedtest.WaitAckFloor(t, srv.JS, "archive", log.Last, 2*time.Minute)
	t.Logf("backfilled %d records in %.2fs", n, time.Since(t0).Seconds())

	// Changes arrive while the archive is stopped and restarted twice.
	spec := zohosim.MutateSpec{Update: 0.01, Create: 0.002, Delete: 0.005}
	changed := seedtest.PublishChanges(t, srv.JS, sim, spec, log)
	time.Sleep(50 * time.Millisecond) // let it take some of them
	r.stop()
	changed += seedtest.PublishChanges(t, srv.JS, sim, spec, log)
	r = start(t, srv, cfg, false)
	changed += seedtest.PublishChanges(t, srv.JS, sim, spec, log)
	r.stop()
	r = start(t, srv, cfg, false)
	seedtest.WaitAckFloor(t, srv.JS, "archive", log.Last, 2*time.Minute)
	r.stop()
	t.Logf("archived %d changes across two restarts", changed)

	got := seedtest.CheckArchive(t, dir, log)
	seedtest.CheckLive(t, got, sim)
	if got.Files["Contacts"] < 4 {
		t.Errorf("Contacts has %d files, want rotation every 5,000 records", got.Files["Contacts"])
	}
	total := 0
	for _, l := range got.Lines {
		total += l
	}
	if total < n {
		t.Errorf("%d lines archived, fewer than the %d records of the sync", total, n)
	}
}

func TestReplayGoesToAFreshDirectory(t *testing.T) {
	srv := natstest.Start(t)
	srv.Setup(t)
	sim := seedtest.NewSim(t)
	log := seedtest.NewLog()
	seedtest.PublishAll(t, srv.JS, sim, log, "Campaigns", "Products")
	first := filepath.Join(t.TempDir(), "first")
	r := start(t, srv, archive.Config{Dir: first}, true)
	seedtest.WaitAckFloor(t, srv.JS, "archive", log.Last, time.Minute)
	r.stop()
	spec := zohosim.MutateSpec{Update: 0.2, Delete: 0.05, Modules: []string{"Campaigns"}}
	seedtest.PublishChanges(t, srv.JS, sim, spec, log)
	r = start(t, srv, archive.Config{Dir: first}, true) // not empty: no rewind
	seedtest.WaitAckFloor(t, srv.JS, "archive", log.Last, time.Minute)
	r.stop()
	history := seedtest.CheckArchive(t, first, log)

	// A replay into a new directory holds the stream as it is now: the
	// latest event of every record, nothing older.
	second := filepath.Join(t.TempDir(), "second")
	r = start(t, srv, archive.Config{Dir: second}, true)
	seedtest.WaitAckFloor(t, srv.JS, "archive", log.Last, time.Minute)
	r.stop()
	snapshot := seedtest.CheckArchive(t, second, log)
	lines := 0
	for _, n := range snapshot.Lines {
		lines += n
	}
	if lines != len(log.Latest) {
		t.Errorf("replay archived %d lines, want one per record: %d", lines, len(log.Latest))
	}
	if history.Lines["Campaigns"] <= snapshot.Lines["Campaigns"] {
		t.Errorf("first archive has %d Campaigns lines, the replay %d: history lost",
			history.Lines["Campaigns"], snapshot.Lines["Campaigns"])
	}
	seedtest.CheckLive(t, snapshot, sim, "Campaigns", "Products")
	// The first archive was left as it was.
	again := seedtest.CheckArchive(t, first, log)
	if again.Lines["Campaigns"] != history.Lines["Campaigns"] {
		t.Errorf("replay changed the first archive")
	}
}

func TestUnwritableRecordGoesToDeadLetters(t *testing.T) {
	srv := natstest.Start(t)
	srv.Setup(t)
	body := []byte(`{"id":"1","Name":"truncated"`) // not JSON
	e := events.RecordEvent{Key: events.RecordKey{Source: "zoho", Module: "Leads", ID: "1"},
		Op: events.OpUpsert, Run: "r1", Hash: "00", Body: body}
	m, err := e.Msg()
	if err != nil {
		t.Fatal(err)
	}
	ack, err := srv.JS.PublishMsg(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, srv, archive.Config{Dir: t.TempDir()}, false)
	seedtest.WaitAckFloor(t, srv.JS, "archive", ack.Sequence, time.Minute)
	r.stop()
	subject, _ := events.DeadLetterSubject("archive", ack.Sequence)
	stream, err := srv.JS.Stream(context.Background(), events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.GetLastMsgForSubject(context.Background(), subject); err != nil {
		t.Fatalf("no dead letter %s: %v", subject, err)
	}
}
