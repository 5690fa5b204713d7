package seedtest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/graph"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
)

// CompareGraph fails the test unless the graph holds exactly one node per
// event and nothing else: the module's label, and every property with the
// value and type the mapping gives the event's body, plus the bookkeeping
// of the event, whose stream sequence is firstSeq plus its index. That is
// what a clean load of the events gives, so a graph that passes equals one.
func CompareGraph(t testing.TB, d neo4j.DriverWithContext, evs []events.RecordEvent,
	firstSeq uint64) {
	t.Helper()
	type want struct {
		ev  events.RecordEvent
		seq int64
	}
	byKey := make(map[string]want, len(evs))
	for i, ev := range evs {
		byKey[graph.DefaultLabel(ev.Key.Module)+":"+ev.Key.ID] = want{ev, int64(firstSeq) + int64(i)}
	}
	ctx := context.Background()
	sess := d.NewSession(ctx, neo4j.SessionConfig{DatabaseName: neo4jtest.Database,
		AccessMode: neo4j.AccessModeRead})
	defer sess.Close(ctx)
	res, err := sess.Run(ctx, "MATCH (n) RETURN labels(n), n.id, properties(n)", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := graph.Mapping{}.NewMapper()
	seen, bad := map[string]bool{}, 0
	report := func(format string, args ...any) {
		if bad++; bad <= 10 {
			t.Errorf(format, args...)
		}
	}
	types := map[string]bool{}
	for res.Next(ctx) {
		v := res.Record().Values
		labels := v[0].([]any)
		id, _ := v[1].(string)
		if len(labels) != 1 {
			report("node %s has labels %v, want exactly one", id, labels)
			continue
		}
		key := labels[0].(string) + ":" + id
		w, ok := byKey[key]
		if !ok || seen[key] {
			report("unexpected node %s (duplicate: %v)", key, seen[key])
			continue
		}
		seen[key] = true
		props, err := m.Properties(w.ev.Body)
		if err != nil {
			t.Fatal(err)
		}
		delete(props, graph.PropID)
		props[graph.PropSource] = w.ev.Key.Source
		props[graph.PropRun] = w.ev.Run
		props[graph.PropSeq] = w.seq
		props[graph.PropModified] = w.ev.Modified
		got := v[2].(map[string]any)
		delete(got, graph.PropID)
		for k, wv := range props {
			gv, ok := got[k]
			if wv == nil {
				if ok {
					report("%s: property %q = %#v, want none (null)", key, k, gv)
				}
				continue
			}
			types[fmt.Sprintf("%T", gv)] = true
			if !ok || !SameValue(gv, wv) {
				report("%s: property %q = %#v (%T), want %#v (%T)", key, k, gv, gv, wv, wv)
			}
		}
		for k := range got {
			if _, ok := props[k]; !ok {
				report("%s: unexpected property %q", key, k)
			}
		}
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(byKey) {
		report("graph has %d of the %d records", len(seen), len(byKey))
	}
	kinds := make([]string, 0, len(types))
	for k := range types {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range []string{"string", "int64", "float64", "bool", "dbtype.Date", "time.Time",
		"[]interface {}"} {
		if !slices.Contains(kinds, k) {
			report("no property of type %s in the graph (types seen: %v)", k, kinds)
		}
	}
}

// SameValue compares a value read from Neo4j with the mapping's: times by
// instant and offset, lists element by element.
func SameValue(got, want any) bool {
	switch w := want.(type) {
	case time.Time:
		g, ok := got.(time.Time)
		_, og := g.Zone()
		_, ow := w.Zone()
		return ok && g.Equal(w) && og == ow
	case dbtype.Date:
		g, ok := got.(dbtype.Date)
		return ok && time.Time(g).Equal(time.Time(w))
	case []string:
		return sameList(got, len(w), func(i int) any { return w[i] })
	case []int64:
		return sameList(got, len(w), func(i int) any { return w[i] })
	case []float64:
		return sameList(got, len(w), func(i int) any { return w[i] })
	case []bool:
		return sameList(got, len(w), func(i int) any { return w[i] })
	}
	return got == want
}

func sameList(got any, n int, at func(int) any) bool {
	g, ok := got.([]any)
	if !ok || len(g) != n {
		return false
	}
	for i := range g {
		if g[i] != at(i) {
			return false
		}
	}
	return true
}
