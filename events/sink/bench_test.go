package sink_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/events/sink"
)

// benchRecords is how many record events each benchmark run delivers.
const benchRecords = 20000

// BenchmarkDelivery measures how many records a second reach a sink that
// does nothing with them, one at a time through watermill (Run) and in
// chunks (RunChunks), on an embedded server.
func BenchmarkDelivery(b *testing.B) {
	srv := natstest.Start(b)
	srv.Setup(b)
	seqs := publish(b, srv.JS, 0, benchRecords)
	last := seqs[len(seqs)-1]

	run := 0
	measure := func(b *testing.B, cfg sink.Config, start func(*sink.Sink) func()) {
		for b.Loop() {
			run++
			cfg.Name = fmt.Sprintf("bench%d", run)
			s, err := sink.Open(context.Background(), srv.JS, cfg, testLog())
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			stop := start(s)
			waitAckFloor(b, s, last)
			elapsed := time.Since(t0)
			stop()
			b.ReportMetric(float64(len(seqs))/elapsed.Seconds(), "records/s")
		}
	}
	b.Run("Run", func(b *testing.B) {
		measure(b, sink.Config{}, func(s *sink.Sink) func() {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			nc := connect(b, srv)
			go func() {
				done <- s.Run(ctx, nc, sink.MessageOptions{},
					func(context.Context, sink.Record) error { return nil })
			}()
			return func() { cancel(); <-done }
		})
	})
	b.Run("RunChunks500", func(b *testing.B) {
		measure(b, sink.Config{MaxAckPending: 1000}, func(s *sink.Sink) func() {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- s.RunChunks(ctx, sink.ChunkOptions{Size: 500, Wait: 50 * time.Millisecond},
					func(context.Context, []sink.Record) error { return nil })
			}()
			return func() { cancel(); <-done }
		})
	})
}
