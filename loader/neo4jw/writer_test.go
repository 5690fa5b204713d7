package neo4jw_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/events/graph"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
	"github.com/crmgraph/crmgraph/loader/neo4jw"
)

// newWriter wipes Neo4j and returns a prepared writer on it.
func newWriter(t *testing.T) (*neo4jw.Writer, neo4j.DriverWithContext) {
	t.Helper()
	d := neo4jtest.Open(t)
	w := neo4jw.New(d, neo4jtest.Database)
	if err := w.Prepare(context.Background()); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return w, d
}

// row builds a version of Contact id with a Name and bookkeeping.
func row(id string, seq int64, name string) neo4jw.Row {
	return neo4jw.Row{ID: id, Seq: seq, Group: "run-1", Props: map[string]any{
		"Name":             name,
		graph.PropSeq:      seq,
		graph.PropSource:   "zoho",
		graph.PropRun:      "run-1",
		graph.PropModified: graph.Offset(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)),
	}}
}

// tombstone builds a delete of Contact id.
func tombstone(id string, seq int64) neo4jw.Row {
	return neo4jw.Row{ID: id, Seq: seq, Group: "run-1", Props: map[string]any{
		graph.PropSeq: seq, graph.PropSource: "zoho", graph.PropRun: "run-1",
	}}
}

// step is one batch of a scenario: upserts and deletes of Contacts.
type step struct {
	upserts []neo4jw.Row
	deletes []neo4jw.Row
	want    neo4jw.Counts
}

func write(t *testing.T, w *neo4jw.Writer, s step) neo4jw.Counts {
	t.Helper()
	b := neo4jw.NewBatch()
	for _, r := range s.upserts {
		b.Upsert("Contact", r)
	}
	for _, r := range s.deletes {
		b.Delete("Contact", r)
	}
	res, err := w.Write(context.Background(), b)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return res.Total
}

// names returns id -> Name of every Contact, and the number of tombstones.
func names(t *testing.T, d neo4j.DriverWithContext) (map[string]string, int64) {
	t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), d,
		"MATCH (n:Contact) RETURN n.id, n.Name", nil, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(neo4jtest.Database))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range res.Records {
		out[r.Values[0].(string)], _ = r.Values[1].(string)
	}
	return out, neo4jtest.Count(t, d, "MATCH (t:CrmgraphTombstone) RETURN count(t)", nil)
}

func TestWriteOrderGuard(t *testing.T) {
	tests := []struct {
		name       string
		steps      []step
		want       map[string]string
		tombstones int64
	}{
		{
			name: "create then update",
			steps: []step{
				{upserts: []neo4jw.Row{row("1", 10, "a"), row("2", 11, "b")},
					want: neo4jw.Counts{Created: 2}},
				{upserts: []neo4jw.Row{row("1", 20, "a2")}, want: neo4jw.Counts{Updated: 1}},
			},
			want: map[string]string{"1": "a2", "2": "b"},
		},
		{
			name: "older version after newer is stale",
			steps: []step{
				{upserts: []neo4jw.Row{row("1", 20, "new")}, want: neo4jw.Counts{Created: 1}},
				{upserts: []neo4jw.Row{row("1", 10, "old")}, want: neo4jw.Counts{Stale: 1}},
			},
			want: map[string]string{"1": "new"},
		},
		{
			name: "same version again rewrites it",
			steps: []step{
				{upserts: []neo4jw.Row{row("1", 20, "x")}, want: neo4jw.Counts{Created: 1}},
				{upserts: []neo4jw.Row{row("1", 20, "x")}, want: neo4jw.Counts{Updated: 1}},
			},
			want: map[string]string{"1": "x"},
		},
		{
			name: "delete then late older upsert does not resurrect",
			steps: []step{
				{upserts: []neo4jw.Row{row("1", 10, "a")}, want: neo4jw.Counts{Created: 1}},
				{deletes: []neo4jw.Row{tombstone("1", 30)}, want: neo4jw.Counts{Deleted: 1}},
				{upserts: []neo4jw.Row{row("1", 20, "late")}, want: neo4jw.Counts{Stale: 1}},
			},
			want:       map[string]string{},
			tombstones: 1,
		},
		{
			name: "delete of a record never loaded leaves a tombstone only",
			steps: []step{
				{deletes: []neo4jw.Row{tombstone("1", 30)}, want: neo4jw.Counts{Deleted: 1}},
				{upserts: []neo4jw.Row{row("1", 20, "late")}, want: neo4jw.Counts{Stale: 1}},
			},
			want:       map[string]string{},
			tombstones: 1,
		},
		{
			name: "older delete after newer upsert is stale",
			steps: []step{
				{upserts: []neo4jw.Row{row("1", 40, "recreated")}, want: neo4jw.Counts{Created: 1}},
				{deletes: []neo4jw.Row{tombstone("1", 30)}, want: neo4jw.Counts{Stale: 1}},
			},
			want: map[string]string{"1": "recreated"},
		},
		{
			name: "re-created after delete removes the tombstone",
			steps: []step{
				{upserts: []neo4jw.Row{row("1", 10, "a")}, want: neo4jw.Counts{Created: 1}},
				{deletes: []neo4jw.Row{tombstone("1", 30)}, want: neo4jw.Counts{Deleted: 1}},
				{upserts: []neo4jw.Row{row("1", 40, "back")}, want: neo4jw.Counts{Created: 1}},
				{deletes: []neo4jw.Row{tombstone("1", 30)}, want: neo4jw.Counts{Stale: 1}},
			},
			want: map[string]string{"1": "back"},
		},
		{
			name: "older tombstone after newer tombstone is stale",
			steps: []step{
				{deletes: []neo4jw.Row{tombstone("1", 30)}, want: neo4jw.Counts{Deleted: 1}},
				{deletes: []neo4jw.Row{tombstone("1", 20)}, want: neo4jw.Counts{Stale: 1}},
				{upserts: []neo4jw.Row{row("1", 25, "between")}, want: neo4jw.Counts{Stale: 1}},
			},
			want:       map[string]string{},
			tombstones: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, d := newWriter(t)
			for i, s := range tt.steps {
				if got := write(t, w, s); got != s.want {
					t.Errorf("step %d counts = %+v, want %+v", i, got, s.want)
				}
			}
			got, tombs := names(t, d)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("contacts = %v, want %v", got, tt.want)
			}
			if tombs != tt.tombstones {
				t.Errorf("tombstones = %d, want %d", tombs, tt.tombstones)
			}
		})
	}
}

// TestWriteNulls checks that a null removes a property from an existing
// node and is not stored on a new one.
func TestWriteNulls(t *testing.T) {
	w, d := newWriter(t)
	first := row("1", 10, "a")
	first.Props["Phone"] = "123"
	first.Props["Fax"] = nil
	write(t, w, step{upserts: []neo4jw.Row{neo4jw.NewRow(first.ID, first.Seq, first.Group,
		first.Props)}})
	if n := neo4jtest.Count(t, d, "MATCH (n:Contact {id: '1'}) "+
		"WHERE n.Phone = '123' AND n.Fax IS NULL RETURN count(n)", nil); n != 1 {
		t.Fatalf("after create: %d matching contacts, want 1", n)
	}
	second := row("1", 20, "a")
	second.Props["Phone"] = nil
	write(t, w, step{upserts: []neo4jw.Row{neo4jw.NewRow(second.ID, second.Seq, second.Group,
		second.Props)}})
	if n := neo4jtest.Count(t, d, "MATCH (n:Contact {id: '1'}) "+
		"WHERE n.Phone IS NULL AND n.Name = 'a' RETURN count(n)", nil); n != 1 {
		t.Fatalf("after update: %d contacts without Phone, want 1", n)
	}
}

// TestWriteConcurrentVersions races two writers that hold different
// versions of the same records, in both commit orders, and checks that the
// newest version always wins.
func TestWriteConcurrentVersions(t *testing.T) {
	w, d := newWriter(t)
	const n = 200
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%04d", i)
	}
	for round := range 4 {
		base := int64(round * 1000)
		older, newer := neo4jw.NewBatch(), neo4jw.NewBatch()
		for i, id := range ids {
			// Odd rounds delete in the newer batch; even rounds upsert.
			older.Upsert("Contact", row(id, base+int64(i), "old"))
			if round%2 == 1 {
				newer.Delete("Contact", tombstone(id, base+500+int64(i)))
			} else {
				newer.Upsert("Contact", row(id, base+500+int64(i), "new"))
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for _, b := range []*neo4jw.Batch{newer, older} {
			wg.Go(func() {
				if _, err := w.Write(context.Background(), b); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
		got, tombs := names(t, d)
		if round%2 == 1 {
			if len(got) != 0 || tombs != n {
				t.Fatalf("round %d: %d contacts and %d tombstones, want 0 and %d",
					round, len(got), tombs, n)
			}
			continue
		}
		for _, id := range ids {
			if got[id] != "new" {
				t.Fatalf("round %d: contact %s = %q, want new", round, id, got[id])
			}
		}
		if tombs != 0 {
			t.Fatalf("round %d: %d tombstones left, want 0", round, tombs)
		}
	}
}

func TestWriteProperties(t *testing.T) {
	w, d := newWriter(t)
	body := `{"id":"7","Name":"Zoë \"Q\" O'Connor","Amount":12.5,"Count":3,"Won":true,
		"Closing":"2024-06-30","At":"2024-05-01T10:15:30+05:30","Tags":["a","b"],
		"Owner":{"name":"Mary","id":"99"},"Sub":[{"id":"1"}],
		"a` + "`" + `b":1,"}) DETACH DELETE n //":2,"名前":3}`
	props, err := graph.Mapping{}.Properties([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	delete(props, graph.PropID)
	props[graph.PropSeq] = int64(5)
	b := neo4jw.NewBatch()
	b.Upsert("Deal", neo4jw.Row{ID: "7", Seq: 5, Group: "r", Props: props})
	if _, err := w.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	res, err := neo4j.ExecuteQuery(context.Background(), d,
		"MATCH (n:Deal {id: '7'}) RETURN properties(n) AS p", nil, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(neo4jtest.Database))
	if err != nil || len(res.Records) != 1 {
		t.Fatalf("reading node: %v (%d records)", err, len(res.Records))
	}
	p := res.Records[0].Values[0].(map[string]any)
	checks := map[string]func(any) bool{
		"Name":                  func(v any) bool { return v == `Zoë "Q" O'Connor` },
		"Amount":                func(v any) bool { return v == 12.5 },
		"Count":                 func(v any) bool { return v == int64(3) },
		"Won":                   func(v any) bool { return v == true },
		"Closing":               func(v any) bool { _, ok := v.(neo4j.Date); return ok },
		"Owner_id":              func(v any) bool { return v == "99" },
		"Sub":                   func(v any) bool { return v == `[{"id":"1"}]` },
		"a`b":                   func(v any) bool { return v == int64(1) },
		"}) DETACH DELETE n //": func(v any) bool { return v == int64(2) },
		"名前":                    func(v any) bool { return v == int64(3) },
		"Tags": func(v any) bool {
			l, ok := v.([]any)
			return ok && len(l) == 2 && l[0] == "a"
		},
		"At": func(v any) bool {
			tm, ok := v.(time.Time)
			_, off := tm.Zone()
			return ok && off == 19800 && tm.Equal(time.Date(2024, 5, 1, 4, 45, 30, 0, time.UTC))
		},
	}
	for k, ok := range checks {
		if !ok(p[k]) {
			t.Errorf("property %q = %#v (%T)", k, p[k], p[k])
		}
	}
	if n := neo4jtest.Count(t, d, "MATCH (n) RETURN count(n)", nil); n != 1 {
		t.Errorf("%d nodes, want 1", n)
	}
}

func TestWriteRefusesBadLabel(t *testing.T) {
	w, d := newWriter(t)
	for _, label := range []string{"Con`tact", "A B", "X) DETACH DELETE (n", "Ünï", "", "1abc"} {
		b := neo4jw.NewBatch()
		b.Upsert(label, row("1", 1, "x"))
		if _, err := w.Write(context.Background(), b); !errors.Is(err, graph.ErrBadName) {
			t.Errorf("label %q: error = %v, want ErrBadName", label, err)
		}
	}
	if n := neo4jtest.Count(t, d, "MATCH (n) RETURN count(n)", nil); n != 0 {
		t.Errorf("%d nodes written, want 0", n)
	}
}

func TestWriteDataError(t *testing.T) {
	w, _ := newWriter(t)
	bad := row("1", 1, "x")
	bad.Props["Nested"] = map[string]any{"a": 1} // a property cannot be a map
	b := neo4jw.NewBatch()
	b.Upsert("Contact", bad)
	_, err := w.Write(context.Background(), b)
	if err == nil || !neo4jw.IsDataError(err) || neo4jw.IsFatal(err) {
		t.Fatalf("error = %v, want a data error", err)
	}
}

func TestConstraints(t *testing.T) {
	w, d := newWriter(t)
	for range 2 {
		for _, l := range []string{"Contact", "Deal"} {
			if err := w.EnsureLabel(context.Background(), l); err != nil {
				t.Fatal(err)
			}
		}
	}
	n := neo4jtest.Count(t, d, "SHOW CONSTRAINTS YIELD name, type "+
		"WHERE name IN ['crmgraph_Contact_id', 'crmgraph_Deal_id', 'crmgraph_tombstone_key'] "+
		"AND type = 'UNIQUENESS' RETURN count(*)", nil)
	if n != 3 {
		t.Fatalf("%d constraints, want 3", n)
	}
	// A second writer learns them instead of creating them again.
	w2 := neo4jw.New(d, neo4jtest.Database)
	if err := w2.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestWipe(t *testing.T) {
	w, d := newWriter(t)
	write(t, w, step{upserts: []neo4jw.Row{row("1", 1, "a"), row("2", 2, "b")},
		deletes: []neo4jw.Row{tombstone("3", 3)}})
	if _, err := neo4j.ExecuteQuery(context.Background(), d,
		"CREATE (:Contact {id: 'mine'})-[:KNOWS]->(o:Other {x: 1}) WITH o "+
			"MATCH (a:Contact {id: '1'}), (b:Contact {id: '2'}) "+
			"CREATE (a)-[:WORKS_WITH]->(b), (o)-[:LIKES]->(a), (b)-[:LIKES]->(o)", nil,
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(neo4jtest.Database)); err != nil {
		t.Fatal(err)
	}
	n, err := w.Wipe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("wiped %d nodes, want 3 (two contacts and a tombstone)", n)
	}
	if left := neo4jtest.Count(t, d, "MATCH (n) RETURN count(n)", nil); left != 2 {
		t.Errorf("%d nodes left, want the 2 that crmgraph did not write", left)
	}
	all := neo4jtest.Count(t, d, "MATCH ()-[r]->() RETURN count(r)", nil)
	knows := neo4jtest.Count(t, d, "MATCH ()-[r:KNOWS]->() RETURN count(r)", nil)
	if all != 1 || knows != 1 {
		t.Errorf("%d relationships left (%d KNOWS), want only KNOWS between the nodes "+
			"crmgraph did not write", all, knows)
	}
}
