package neo4jtest_test

import (
	"context"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/events/neo4jtest"
)

// TestChecksum writes small graphs and checks what the checksum sees: the
// order of writes and internal ids do not matter; a property's type, a
// label, a relationship's direction and an ignored key do.
func TestChecksum(t *testing.T) {
	d := neo4jtest.Open(t)
	ctx := context.Background()
	sum := func(q string, ignore ...string) neo4jtest.Sum {
		t.Helper()
		if err := neo4jtest.Wipe(ctx, d); err != nil {
			t.Fatal(err)
		}
		if _, err := neo4j.ExecuteQuery(ctx, d, q, nil, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(neo4jtest.Database)); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return neo4jtest.MustChecksum(t, d, ignore...)
	}
	base := sum(`CREATE (a:A {id: '1', n: 1, d: date('2024-01-02'), l: ['x', 'y']}),
		(b:B {id: '2', t: datetime('2024-01-02T03:04:05+05:30')}), (a)-[:R {w: 1.5}]->(b)`)
	if base.Nodes != 2 || base.Relationships != 1 {
		t.Fatalf("checksum counted %s", base)
	}
	same := sum(`CREATE (b:B {id: '2', t: datetime('2024-01-02T03:04:05+05:30')}),
		(a:A {l: ['x', 'y'], d: date('2024-01-02'), n: 1, id: '1'}), (a)-[:R {w: 1.5}]->(b)`)
	if same != base {
		t.Errorf("same graph written in another order: %s, want %s", same, base)
	}
	for name, q := range map[string]string{
		"float instead of integer": `CREATE (a:A {id: '1', n: 1.0, d: date('2024-01-02'),
			l: ['x', 'y']}), (b:B {id: '2', t: datetime('2024-01-02T03:04:05+05:30')}),
			(a)-[:R {w: 1.5}]->(b)`,
		"other offset, same instant": `CREATE (a:A {id: '1', n: 1, d: date('2024-01-02'),
			l: ['x', 'y']}), (b:B {id: '2', t: datetime('2024-01-01T21:34:05Z')}),
			(a)-[:R {w: 1.5}]->(b)`,
		"other label": `CREATE (a:C {id: '1', n: 1, d: date('2024-01-02'), l: ['x', 'y']}),
			(b:B {id: '2', t: datetime('2024-01-02T03:04:05+05:30')}), (a)-[:R {w: 1.5}]->(b)`,
		"reversed relationship": `CREATE (a:A {id: '1', n: 1, d: date('2024-01-02'),
			l: ['x', 'y']}), (b:B {id: '2', t: datetime('2024-01-02T03:04:05+05:30')}),
			(a)<-[:R {w: 1.5}]-(b)`,
		"list order": `CREATE (a:A {id: '1', n: 1, d: date('2024-01-02'), l: ['y', 'x']}),
			(b:B {id: '2', t: datetime('2024-01-02T03:04:05+05:30')}), (a)-[:R {w: 1.5}]->(b)`,
	} {
		if got := sum(q); got == base {
			t.Errorf("%s: checksum unchanged", name)
		}
	}
	withRun := sum(`CREATE (a:A {id: '1', n: 1, d: date('2024-01-02'), l: ['x', 'y'], _run: 'r2'}),
		(b:B {id: '2', t: datetime('2024-01-02T03:04:05+05:30')}), (a)-[:R {w: 1.5}]->(b)`, "_run")
	if withRun != base {
		t.Errorf("ignored key _run changed the checksum")
	}
}
