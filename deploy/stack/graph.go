package stack

import (
	"context"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// GraphCounts is the size of the graph.
type GraphCounts struct {
	Nodes         int64
	Relationships int64
}

// CountGraph counts every node and relationship in the database.
func CountGraph(ctx context.Context, d neo4j.DriverWithContext, db string) (GraphCounts, error) {
	var c GraphCounts
	for _, q := range []struct {
		cypher string
		into   *int64
	}{
		{"MATCH (n) RETURN count(n)", &c.Nodes},
		{"MATCH ()-[r]->() RETURN count(r)", &c.Relationships},
	} {
		res, err := neo4j.ExecuteQuery(ctx, d, q.cypher, nil, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(db), neo4j.ExecuteQueryWithReadersRouting())
		if err != nil {
			return GraphCounts{}, fmt.Errorf("counting the graph: %w", err)
		}
		*q.into, _ = res.Records[0].Values[0].(int64)
	}
	return c, nil
}
