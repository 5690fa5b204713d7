package run_test

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/run"
	"github.com/crmgraph/crmgraph/extractor/internal/testenv"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

// seedRecords is the simulator's record count at scale 1, users included.
const seedRecords = 58741

// execute runs mode once with r and fails the test on error.
func execute(t *testing.T, r *run.Runner, mode events.Mode) *events.Marker {
	t.Helper()
	mk, err := tryRun(t, r, mode)
	if err != nil {
		t.Fatalf("%s run: %v", mode, err)
	}
	return mk
}

func tryRun(t *testing.T, r *run.Runner, mode events.Mode) (*events.Marker, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	mk, err := r.Once(ctx, mode)
	if err == nil {
		t.Logf("%s run %s: %+v in %.2fs", mode, mk.Run, mk.Totals(),
			time.Since(start).Seconds())
	}
	return mk, err
}

// ops splits record events into the ids upserted and deleted, by module.
func ops(evs map[string]map[string]testenv.Event) (ups, dels map[string][]string) {
	ups, dels = map[string][]string{}, map[string][]string{}
	for module, recs := range evs {
		for id, ev := range recs {
			if ev.Op == events.OpDelete {
				dels[module] = append(dels[module], id)
			} else {
				ups[module] = append(ups[module], id)
			}
		}
	}
	return ups, dels
}

// sameSets compares two id lists per module, ignoring order.
func sameSets(t *testing.T, what string, got, want map[string][]string) {
	t.Helper()
	for _, module := range slices.Sorted(maps.Keys(merge(got, want))) {
		g, w := slices.Sorted(slices.Values(got[module])), slices.Sorted(slices.Values(want[module]))
		if !slices.Equal(g, w) {
			t.Errorf("%s of %s: got %d ids, want %d\n got %v\nwant %v", what, module,
				len(g), len(w), clip(g), clip(w))
		}
	}
}

func merge(a, b map[string][]string) map[string][]string {
	m := maps.Clone(a)
	maps.Copy(m, b)
	return m
}

func clip(ids []string) []string {
	if len(ids) > 10 {
		return append(ids[:10:10], "...")
	}
	return ids
}

// modified returns the ids a mutation modified, by module.
func modified(ch zohosim.Changes) map[string][]string {
	out := map[string][]string{}
	for _, m := range slices.Concat(slices.Collect(maps.Keys(ch.Updated)),
		slices.Collect(maps.Keys(ch.Created)), slices.Collect(maps.Keys(ch.Unlinked))) {
		if ids := ch.Modified(m); len(ids) > 0 {
			out[m] = ids
		}
	}
	return out
}

func nonEmpty(m map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range m {
		if len(v) > 0 {
			out[k] = v
		}
	}
	return out
}

// checkBodies compares every record event with the simulator's record.
func checkBodies(t *testing.T, e *testenv.Env, evs map[string]map[string]testenv.Event) {
	t.Helper()
	total := 0
	for module, recs := range evs {
		total += len(recs)
		differ := 0
		err := e.Sim.Sim.EachRecord(module, func(want map[string]any) error {
			id, _ := want["id"].(string)
			ev, ok := recs[id]
			switch {
			case !ok:
				t.Errorf("%s %s: no record event", module, id)
			case ev.Op != events.OpUpsert:
				t.Errorf("%s %s: op %s", module, id, ev.Op)
			case !reflect.DeepEqual(testenv.Body(t, ev.Body), want):
				if differ++; differ <= 2 {
					t.Errorf("%s %s: body differs from the simulator's record\n got %s\nwant %v",
						module, id, ev.Body, want)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("reading the simulator's %s: %v", module, err)
		}
		if differ > 0 {
			t.Errorf("%s: %d bodies differ", module, differ)
		}
	}
	if total != seedRecords {
		t.Errorf("stream holds %d record events, want %d", total, seedRecords)
	}
}
