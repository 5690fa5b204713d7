package run_test

import (
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/run"
	"github.com/crmgraph/crmgraph/extractor/internal/testenv"
	"github.com/crmgraph/crmgraph/extractor/zoho"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

// TestRunsFollowTheSimulator runs the extractor against one simulator and
// one stream through the life of a source: a first full run, a second one
// with nothing changed, incremental and full runs after changes, failed
// runs and runs through faults. The steps depend on each other.
func TestRunsFollowTheSimulator(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	sim := e.Sim.Sim
	var first *events.Marker

	t.Run("full run publishes every record with every field", func(t *testing.T) {
		mk := execute(t, e.Runner, events.ModeFull)
		first = mk
		counts := sim.Counts()
		if counts.TotalRecords != seedRecords {
			t.Fatalf("simulator holds %d records, want %d", counts.TotalRecords, seedRecords)
		}
		want := events.ModuleCounts{Fetched: seedRecords, Changed: seedRecords}
		if got := mk.Totals(); got != want {
			t.Errorf("marker totals %+v, want %+v", got, want)
		}
		for module, n := range counts.Records {
			if got := mk.Modules[module]; got.Fetched != n || got.Changed != n {
				t.Errorf("marker counts of %s: %+v, want %d", module, got, n)
			}
		}
		if mk.FirstSeq == 0 || mk.LastSeq-mk.FirstSeq+1 < seedRecords {
			t.Errorf("marker sequences [%d, %d] cannot hold %d events",
				mk.FirstSeq, mk.LastSeq, seedRecords)
		}
		if mk.Zoho == nil || mk.Zoho.Calls == 0 || mk.Zoho.Pages == 0 {
			t.Errorf("marker Zoho usage %+v, want calls and pages", mk.Zoho)
		}
		checkBodies(t, e, e.Events(t, 0))
		if wm := e.Watermarks(t); len(wm) != len(counts.Records)-emptyModules(counts) {
			t.Errorf("%d watermarks after the first run, want one per module with records: %v",
				len(wm), wm)
		}
	})
	if first == nil {
		t.FailNow()
	}

	t.Run("second full run publishes no record event", func(t *testing.T) {
		before := e.LastSeq(t)
		mk := execute(t, e.Runner, events.ModeFull)
		want := events.ModuleCounts{Fetched: seedRecords, Unchanged: seedRecords}
		if got := mk.Totals(); got != want {
			t.Errorf("marker totals %+v, want %+v", got, want)
		}
		if mk.FirstSeq != 0 || mk.LastSeq != 0 {
			t.Errorf("marker sequences [%d, %d], want none", mk.FirstSeq, mk.LastSeq)
		}
		if evs := e.Events(t, before); len(evs) != 0 {
			t.Errorf("record events published: %d modules", len(evs))
		}
		if e.Marker(t, mk.Run, events.StageExtracted) == nil {
			t.Error("no extracted marker on the stream")
		}
	})

	t.Run("incremental run publishes exactly the changes", func(t *testing.T) {
		marks := e.Watermarks(t)
		ch, err := sim.Mutate(zohosim.MutateSpec{Update: 0.01, Delete: 0.001, Create: 0.005})
		if err != nil {
			t.Fatal(err)
		}
		before := e.LastSeq(t)
		mk := execute(t, e.Runner, events.ModeIncremental)
		ups, dels := ops(e.Events(t, before))
		sameSets(t, "upserts", ups, modified(ch))
		sameSets(t, "tombstones", dels, nonEmpty(ch.Deleted))
		for module, ids := range modified(ch) {
			if got := mk.Modules[module]; got.Changed != len(ids) ||
				got.Deleted != len(ch.Deleted[module]) {
				t.Errorf("marker counts of %s: %+v, want %d changed, %d deleted", module, got,
					len(ids), len(ch.Deleted[module]))
			}
		}
		after := e.Watermarks(t)
		for module := range ch.Updated {
			if !after[testenv.Source+"."+module].Time.After(marks[testenv.Source+"."+module].Time) {
				t.Errorf("watermark of %s did not advance: %v", module,
					after[testenv.Source+"."+module])
			}
		}
	})

	t.Run("full run tombstones exactly the vanished records", func(t *testing.T) {
		ch, err := sim.Mutate(zohosim.MutateSpec{Delete: 0.001})
		if err != nil {
			t.Fatal(err)
		}
		before := e.LastSeq(t)
		mk := execute(t, e.Runner, events.ModeFull)
		ups, dels := ops(e.Events(t, before))
		sameSets(t, "tombstones", dels, nonEmpty(ch.Deleted))
		sameSets(t, "upserts", ups, modified(ch))
		if got, want := mk.Totals().Fetched, sim.Counts().TotalRecords; got != want {
			t.Errorf("fetched %d, simulator holds %d", got, want)
		}
	})

	t.Run("failed runs publish a failed marker and change nothing", func(t *testing.T) {
		ch, err := sim.Mutate(zohosim.MutateSpec{Delete: 0.002})
		if err != nil {
			t.Fatal(err)
		}
		budget := testenv.NewClient(t, e.Sim, "enterprise",
			func(c *zoho.Config) { c.RetryBudget = 300 * time.Millisecond })
		for _, tc := range []struct {
			name   string
			faults zohosim.Faults
			runner func() *run.Runner
			reason string
		}{
			{"malformed page", zohosim.Faults{MalformedModule: "Contacts", MalformedPage: 5},
				func() *run.Runner { return e.Runner }, "of Contacts (field group"},
			{"retry budget", zohosim.Faults{ErrorRate: 1},
				func() *run.Runner { return e.NewRunner(t, budget, nil) },
				zoho.ErrRetryBudget.Error()},
		} {
			t.Run(tc.name, func(t *testing.T) {
				marks := e.Watermarks(t)
				before := e.LastSeq(t)
				if err := sim.SetFaults(tc.faults); err != nil {
					t.Fatal(err)
				}
				defer func() { _ = sim.SetFaults(zohosim.Faults{}) }()
				mk, err := tryRun(t, tc.runner(), events.ModeFull)
				if err == nil {
					t.Fatalf("run succeeded: %+v", mk.Totals())
				}
				if !strings.Contains(err.Error(), tc.reason) {
					t.Errorf("error %q does not say %q", err, tc.reason)
				}
				failed := failedMarkers(t, e, before)
				if len(failed) != 1 || !strings.Contains(failed[0].Error, tc.reason) {
					t.Errorf("failed markers %+v, want one saying %q", failed, tc.reason)
				}
				if _, dels := ops(e.Events(t, before)); len(dels) != 0 {
					t.Errorf("a failed run published tombstones: %v", dels)
				}
				if after := e.Watermarks(t); !reflect.DeepEqual(after, marks) {
					t.Errorf("watermarks changed:\n got %v\nwant %v", after, marks)
				}
			})
		}
		before := e.LastSeq(t)
		execute(t, e.Runner, events.ModeIncremental)
		_, dels := ops(e.Events(t, before))
		sameSets(t, "tombstones after the failures", dels, nonEmpty(ch.Deleted))
	})

	t.Run("429 storms and 5xx bursts end in a complete run", func(t *testing.T) {
		if err := sim.SetFaults(zohosim.Faults{TooManyRate: 0.4, ErrorRate: 0.15}); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = sim.SetFaults(zohosim.Faults{}) }()
		ch, err := sim.Mutate(zohosim.MutateSpec{Update: 0.01})
		if err != nil {
			t.Fatal(err)
		}
		before, stats := e.LastSeq(t), sim.Stats()
		mk := execute(t, e.Runner, events.ModeFull)
		after := sim.Stats()
		if after.Injected429 == stats.Injected429 || after.Injected500 == stats.Injected500 {
			t.Errorf("no faults injected: %+v", after)
		}
		if mk.Zoho.Retries == 0 {
			t.Error("marker counts no retries")
		}
		if got, want := mk.Totals().Fetched, sim.Counts().TotalRecords; got != want {
			t.Errorf("fetched %d, simulator holds %d", got, want)
		}
		ups, _ := ops(e.Events(t, before))
		sameSets(t, "upserts", ups, modified(ch))
	})

	t.Run("a token expiring mid-run is refreshed", func(t *testing.T) {
		if err := sim.SetFaults(zohosim.Faults{ExpireTokensAfter: 100}); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = sim.SetFaults(zohosim.Faults{}) }()
		stats := sim.Stats()
		mk := execute(t, e.Runner, events.ModeFull)
		after := sim.Stats()
		if after.Unauthorized == stats.Unauthorized || after.Refreshes == stats.Refreshes {
			t.Errorf("token not expired and refreshed: before %+v, after %+v", stats, after)
		}
		if got, want := mk.Totals().Fetched, sim.Counts().TotalRecords; got != want {
			t.Errorf("fetched %d, simulator holds %d", got, want)
		}
	})
}

// failedMarkers returns the failed markers published after a sequence.
func failedMarkers(t *testing.T, e *testenv.Env, after uint64) []*events.Marker {
	t.Helper()
	return e.Markers(t, events.StageFailed, after)
}

func emptyModules(c zohosim.Counts) int {
	n := 0
	for _, v := range maps.All(c.Records) {
		if v == 0 {
			n++
		}
	}
	return n
}
