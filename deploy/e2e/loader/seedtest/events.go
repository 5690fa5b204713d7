package seedtest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/graph"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
	"github.com/crmgraph/crmgraph/loader/neo4jw"
)

// Source is the source every test event belongs to.
const Source = "zoho"

// SeedRecords is the simulator's record count at scale 1.
const SeedRecords = 58741

var (
	seedOnce   sync.Once
	seedEvents []events.RecordEvent
	seedErr    error
)

// Seed returns the simulator's dataset at scale 1 as upsert events of run
// "seed", built once per test binary. Callers must not change them.
func Seed(t testing.TB) []events.RecordEvent {
	t.Helper()
	seedOnce.Do(func() { seedEvents, seedErr = BuildEvents(1, "seed") })
	if seedErr != nil {
		t.Fatalf("building seed events: %v", seedErr)
	}
	return seedEvents
}

// BuildEvents turns every record of a simulated organisation at scale into
// an upsert event of run, module by module, Users first.
func BuildEvents(scale int, run string) ([]events.RecordEvent, error) {
	sim, err := zohosim.New(zohosim.Config{Scale: scale})
	if err != nil {
		return nil, err
	}
	var out []events.RecordEvent
	for _, module := range append([]string{"Users"}, sim.Modules()...) {
		err := sim.EachRecordJSON(module, func(id string, body []byte) error {
			ev, err := UpsertEvent(module, id, body, run)
			if err != nil {
				return err
			}
			out = append(out, ev)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UpsertEvent builds the event the extractor publishes for a record: the
// canonical body, its hash, and Modified_Time in UTC.
func UpsertEvent(module, id string, body []byte, run string) (events.RecordEvent, error) {
	canonical, err := events.Canonicalize(body)
	if err != nil {
		return events.RecordEvent{}, fmt.Errorf("record %s of %s: %w", id, module, err)
	}
	var head struct {
		Modified string `json:"Modified_Time"`
	}
	if err := json.Unmarshal(canonical, &head); err != nil {
		return events.RecordEvent{}, fmt.Errorf("record %s of %s: %w", id, module, err)
	}
	ev := events.RecordEvent{Key: events.RecordKey{Source: Source, Module: module, ID: id},
		Op: events.OpUpsert, Run: run, Hash: events.Hash(canonical), Body: canonical}
	if m, err := time.Parse(time.RFC3339, head.Modified); err == nil {
		ev.Modified = m.UTC()
	}
	return ev, nil
}

// Row is one event mapped as the loader maps it.
type Row struct {
	Label string
	Row   neo4jw.Row
}

// MapRows maps events as the loader does; event i gets stream sequence
// i+1, which is what it gets when the events are the first messages of a
// new stream.
func MapRows(t testing.TB, evs []events.RecordEvent) []Row {
	t.Helper()
	m := graph.Mapping{}.NewMapper()
	out := make([]Row, len(evs))
	for i, ev := range evs {
		props, err := m.Properties(ev.Body)
		if err != nil {
			t.Fatalf("mapping %s: %v", ev.Key, err)
		}
		delete(props, graph.PropID)
		seq := int64(i + 1)
		props[graph.PropSource] = ev.Key.Source
		props[graph.PropSeq] = seq
		props[graph.PropRun] = ev.Run
		props[graph.PropModified] = graph.Offset(ev.Modified)
		out[i] = Row{Label: graph.DefaultLabel(ev.Key.Module),
			Row: neo4jw.NewRow(ev.Key.ID, seq, ev.Run, props)}
	}
	return out
}

// BareLoad writes rows with w in chunks, one transaction each, in order.
func BareLoad(t testing.TB, w *neo4jw.Writer, rows []Row, chunk int) neo4jw.Counts {
	t.Helper()
	var total neo4jw.Counts
	for start := 0; start < len(rows); start += chunk {
		b := neo4jw.NewBatch()
		for _, r := range rows[start:min(start+chunk, len(rows))] {
			b.Upsert(r.Label, r.Row)
		}
		res, err := w.Write(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		total.Add(res.Total)
	}
	return total
}
