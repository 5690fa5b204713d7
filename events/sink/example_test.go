package sink_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/app"
	"github.com/crmgraph/crmgraph/events/sink"
)

// A sink that prints each record, one at a time, through watermill.
// Its first start prints every record the stream holds; later starts go
// on after the last record it acknowledged.
func ExampleSink_Run() {
	ctx, stop := app.SignalContext(context.Background())
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	nc, js, err := events.Connect(events.DefaultNATSURL, "crmgraph-printer")
	if err != nil {
		log.Error("cannot connect", "err", err)
		return
	}
	defer nc.Drain()
	if err := events.Setup(ctx, js, events.StreamOptions{}); err != nil {
		log.Error("cannot set up the stream", "err", err)
		return
	}
	s, err := sink.Open(ctx, js, sink.Config{Name: "printer", Exclusive: true}, log)
	if err != nil {
		log.Error("cannot open the sink", "err", err)
		return
	}
	// The watermill subscriber drains its connection on close: its own.
	subConn, _, err := events.Connect(events.DefaultNATSURL, "crmgraph-printer-subscriber")
	if err != nil {
		log.Error("cannot connect", "err", err)
		return
	}
	err = s.Run(ctx, subConn, sink.MessageOptions{},
		func(ctx context.Context, r sink.Record) error {
			_, err := fmt.Printf("%d %s %s %s\n", r.Seq, r.Op, r.Key, r.Body)
			return err // nil: acknowledged; an error: retried
		})
	if err != nil {
		log.Error("sink stopped", "err", err)
	}
}

// A sink that counts the records of each module in chunks of up to 500,
// as a sink writing to a batch API would.
func ExampleSink_RunChunks() {
	ctx, stop := app.SignalContext(context.Background())
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	nc, js, err := events.Connect(events.DefaultNATSURL, "crmgraph-counter")
	if err != nil {
		log.Error("cannot connect", "err", err)
		return
	}
	defer nc.Drain()
	cfg := sink.Config{Name: "counter", MaxAckPending: 1000, Exclusive: true}
	s, err := sink.Open(ctx, js, cfg, log)
	if err != nil {
		log.Error("cannot open the sink", "err", err)
		return
	}
	perModule := map[string]int{}
	err = s.RunChunks(ctx, sink.ChunkOptions{Size: 500},
		func(ctx context.Context, records []sink.Record) error {
			for _, r := range records {
				perModule[r.Key.Module]++
			}
			return nil // the chunk is acknowledged
		})
	if err != nil {
		log.Error("sink stopped", "err", err)
	}
	fmt.Println(perModule)
}
