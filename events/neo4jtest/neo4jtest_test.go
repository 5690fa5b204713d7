package neo4jtest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/events/neo4jtest"
)

func TestRealNeo4jMergesOnAUniqueKey(t *testing.T) {
	d := neo4jtest.Open(t)
	ctx := context.Background()
	run := func(q string, params map[string]any) *neo4j.EagerResult {
		t.Helper()
		res, err := neo4j.ExecuteQuery(ctx, d, q, params, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(neo4jtest.Database))
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return res
	}

	res := run("CALL dbms.components() YIELD name, versions, edition "+
		"RETURN name, versions[0], edition", nil)
	version, _ := res.Records[0].Values[1].(string)
	edition, _ := res.Records[0].Values[2].(string)
	t.Logf("Neo4j at %s: %s %s", neo4jtest.URI(), version, edition)
	if !strings.HasPrefix(version, "5.26.") || edition != "community" {
		t.Fatalf("server is Neo4j %s %s, want 5.26.x community", version, edition)
	}

	run("CREATE CONSTRAINT test_probe_id IF NOT EXISTS FOR (n:Probe) REQUIRE n.id IS UNIQUE", nil)
	for range 2 {
		run("MERGE (n:Probe {id: $id}) SET n.name = $name",
			map[string]any{"id": "1", "name": "Zoë"})
	}
	if n := neo4jtest.Count(t, d, "MATCH (n:Probe) RETURN count(n)", nil); n != 1 {
		t.Fatalf("found %d Probe nodes after merging one id twice, want 1", n)
	}
	_, err := neo4j.ExecuteQuery(ctx, d, "CREATE (:Probe {id: '1'})", nil,
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(neo4jtest.Database))
	if err == nil || !strings.Contains(err.Error(), "ConstraintValidationFailed") {
		t.Fatalf("creating a duplicate id: error %v, want a constraint violation", err)
	}
}
