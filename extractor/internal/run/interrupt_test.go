package run_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/lease"
	"github.com/crmgraph/crmgraph/extractor/internal/run"
	"github.com/crmgraph/crmgraph/extractor/internal/testenv"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

// TestStoppedRunsChangeNothing stops full runs part-way, by cancelling
// them and by taking their lease away: each publishes a failed marker,
// no tombstone, and leaves the watermarks as they were.
func TestStoppedRunsChangeNothing(t *testing.T) {
	e := testenv.New(t, testenv.Options{
		Sim: zohosim.Config{Latency: zohosim.Latency{Min: 5 * time.Millisecond,
			Max: 10 * time.Millisecond}},
		Run: func(c *run.Config) { c.LeaseRenew = 50 * time.Millisecond },
	})
	execute(t, e.Runner, events.ModeFull)
	if _, err := e.Sim.Sim.Mutate(zohosim.MutateSpec{Delete: 0.01}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		stop   func(cancel context.CancelFunc)
		reason error
	}{
		{"cancelled", func(cancel context.CancelFunc) { cancel() }, run.ErrInterrupted},
		{"lease taken away", func(context.CancelFunc) {
			kv, err := e.NATS.JS.KeyValue(context.Background(), events.BucketLeases)
			if err == nil {
				err = kv.Delete(context.Background(), testenv.Source)
			}
			if err != nil {
				t.Errorf("deleting the lease: %v", err)
			}
		}, lease.ErrLost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			marks, before := e.Watermarks(t), e.LastSeq(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			x, err := e.Runner.Start(ctx, events.ModeFull)
			if err != nil {
				t.Fatal(err)
			}
			time.AfterFunc(300*time.Millisecond, func() { tc.stop(cancel) })
			_, err = x.Execute(ctx)
			if !errors.Is(err, tc.reason) {
				t.Fatalf("run ended with %v, want %v", err, tc.reason)
			}
			failed := e.Markers(t, events.StageFailed, before)
			if len(failed) != 1 || failed[0].Run != x.ID ||
				!strings.Contains(failed[0].Error, tc.reason.Error()) {
				t.Errorf("failed markers %+v, want one of run %s saying %q", failed, x.ID,
					tc.reason)
			}
			if e.Marker(t, x.ID, events.StageExtracted) != nil {
				t.Error("a stopped run published an extracted marker")
			}
			if _, dels := ops(e.Events(t, before)); len(dels) != 0 {
				t.Errorf("a stopped run published tombstones: %v", dels)
			}
			if after := e.Watermarks(t); !reflect.DeepEqual(after, marks) {
				t.Errorf("watermarks changed:\n got %v\nwant %v", after, marks)
			}
		})
	}
}
