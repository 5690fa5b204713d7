package run_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/lease"
	"github.com/crmgraph/crmgraph/extractor/internal/run"
	"github.com/crmgraph/crmgraph/extractor/internal/testenv"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

func TestConcurrentRunsOfOneSourceOneIsRefused(t *testing.T) {
	small := func(c *run.Config) { c.Modules = []string{"Campaigns", "Products"} }
	e := testenv.New(t, testenv.Options{
		Sim: zohosim.Config{Latency: zohosim.Latency{Min: 20 * time.Millisecond,
			Max: 30 * time.Millisecond}},
		Run: small,
	})
	other := e.NewRunner(t, e.Zoho, small) // a second process: its own connection

	t.Run("while one holds the lease", func(t *testing.T) {
		x, err := e.Runner.Start(context.Background(), events.ModeFull)
		if err != nil {
			t.Fatal(err)
		}
		_, err = other.Start(context.Background(), events.ModeFull)
		var held *lease.HeldError
		if !errors.As(err, &held) || held.Holder.Run != x.ID {
			t.Fatalf("second start: %v, want ErrHeld naming run %s", err, x.ID)
		}
		if _, err := x.Execute(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := other.Once(context.Background(), events.ModeIncremental); err != nil {
			t.Errorf("run after the lease was released: %v", err)
		}
	})

	t.Run("started at the same time", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		start := make(chan struct{})
		for i, r := range []*run.Runner{e.Runner, other} {
			wg.Go(func() {
				<-start
				_, errs[i] = r.Once(context.Background(), events.ModeFull)
			})
		}
		close(start)
		wg.Wait()
		refused := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, lease.ErrHeld):
				refused++
			case err != nil:
				t.Errorf("run failed: %v", err)
			}
		}
		// A run makes several calls of 20 to 30 ms; both start within
		// microseconds, so the second always finds the first's lease.
		if refused != 1 {
			t.Errorf("%d of 2 runs started together were refused, want 1", refused)
		}
	})
}
