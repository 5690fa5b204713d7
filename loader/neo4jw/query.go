package neo4jw

import (
	"fmt"

	"github.com/crmgraph/crmgraph/events/graph"
)

// TombstoneLabel is the label of the nodes that remember deleted records.
const TombstoneLabel = "CrmgraphTombstone"

// statements holds the query texts of one label.
type statements struct {
	upsert string
	delete string
}

// newStatements builds the statements of a label. The label is validated
// here, whatever the caller did, and quoted; nothing else varies.
//
// Upsert: MERGE takes the key lock; a node without _seq was just created.
// A version is fresh when it is not older than the node and newer than the
// tombstone. A stale version that created the node deletes it again; a
// fresh one removes the tombstone (the record lives again) and replaces
// the node's properties with its own (SET n = props, not +=): a field that
// became null or left the record's layout disappears, so whatever order
// versions arrive in, the node ends up exactly as a clean load of the
// newest one makes it. The loader owns the properties of its nodes; other
// writers add relationships, never node properties. One row per group
// comes back with the counts.
//
// Delete: MERGE takes the same key lock (creating a node that is deleted
// again before the end of the statement when it was absent), a fresh
// delete records or moves the tombstone, and the node goes.
func newStatements(label string) (statements, error) {
	if !graph.ValidName(label) {
		return statements{}, fmt.Errorf("label %q: %w", label, graph.ErrBadName)
	}
	l, t := graph.Quote(label), graph.Quote(TombstoneLabel)
	upsert := `UNWIND $rows AS row
MERGE (n:` + l + ` {id: row.id})
WITH n, row, n._seq IS NULL AS created
OPTIONAL MATCH (t:` + t + ` {label: $label, id: row.id})
WITH n, row, created, t,
     coalesce(n._seq, -1) <= row.seq AND coalesce(t._seq, -1) < row.seq AS fresh
CALL (n, created, fresh) {
  WITH n WHERE created AND NOT fresh
  DELETE n
}
WITH n, row, created, t WHERE fresh
CALL (t) {
  WITH t WHERE t IS NOT NULL
  DELETE t
}
SET n = row.props
RETURN row.group AS grp, count(*) AS applied,
       sum(CASE WHEN created THEN 1 ELSE 0 END) AS created`
	del := `UNWIND $rows AS row
MERGE (n:` + l + ` {id: row.id})
WITH n, row, n._seq IS NULL AS absent
OPTIONAL MATCH (t:` + t + ` {label: $label, id: row.id})
WITH n, row, absent,
     coalesce(n._seq, -1) < row.seq AND coalesce(t._seq, -1) <= row.seq AS fresh
CALL (row, fresh) {
  WITH row WHERE fresh
  MERGE (d:` + t + ` {label: $label, id: row.id})
  SET d += row.props
}
CALL (n, absent, fresh) {
  WITH n WHERE absent OR fresh
  DETACH DELETE n
}
WITH row, fresh WHERE fresh
RETURN row.group AS grp, count(*) AS applied, 0 AS created`
	return statements{upsert: upsert, delete: del}, nil
}

// constraintName is the name of a label's uniqueness constraint.
func constraintName(label string) string {
	return "crmgraph_" + label + "_id"
}

// constraintQuery creates a label's uniqueness constraint on id.
func constraintQuery(label string) string {
	return "CREATE CONSTRAINT " + graph.Quote(constraintName(label)) +
		" IF NOT EXISTS FOR (n:" + graph.Quote(label) + ") REQUIRE n.id IS UNIQUE"
}

// tombstoneConstraint is the name of the tombstones' key constraint.
const tombstoneConstraint = "crmgraph_tombstone_key"

// tombstoneConstraintQuery creates the tombstones' key constraint.
var tombstoneConstraintQuery = "CREATE CONSTRAINT " + graph.Quote(tombstoneConstraint) +
	" IF NOT EXISTS FOR (t:" + graph.Quote(TombstoneLabel) +
	") REQUIRE (t.label, t.id) IS UNIQUE"

// wipeQueries delete, in transactions of their own, every node crmgraph
// wrote (nodes with a _source property, tombstones included) and their
// relationships: the relationships first, 10,000 a transaction, then the
// nodes. Deleting the nodes with their relationships at once put a dense
// node's tens of thousands of relationships (a User of a 1M-record CRM owns
// 25,000 records) into one transaction, which ran out of a 2 GB heap.
var wipeQueries = []string{
	"MATCH (n)-[r]->() WHERE n." + graph.PropSource + " IS NOT NULL " +
		"CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS",
	"MATCH ()-[r]->(n) WHERE n." + graph.PropSource + " IS NOT NULL " +
		"CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS",
	"MATCH (n) WHERE n." + graph.PropSource + " IS NOT NULL " +
		"CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS",
}
