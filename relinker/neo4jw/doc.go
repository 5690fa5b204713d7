// Package neo4jw writes the relinker's relationships to Neo4j.
//
// Every relationship it writes carries _field (the CRM field that made it)
// and _source; it reads, merges and deletes only relationships that carry
// both, so relationships made by anything else are never touched.
//
// Writes are planned so that concurrent transactions never lock the same
// node (plan.go): rows are split into waves, one per field, so that a
// start node appears at most once in a wave; within a wave, rows are
// joined into groups that share a node (in practice: all rows that end at
// one Account or one User) and whole groups are dealt to partitions, the
// largest first; each partition runs its batches in its own transaction
// sequence, sorted by start and end id.
//
// Statements are fixed text per (start label, type, end label), and few,
// because Neo4j plans every new statement text (50 ms or more each, far
// more on a cold server). Create, the path of every run, looks the nodes
// up first with one statement per label (Lookup, which also reads the
// relationships that start at them for the diff), then writes each shape's
// rows with a statement that finds both ends by element id. Merge, for
// released parked relationships, finds both ends by label and id.
// Every statement asks Neo4j to keep its plan when the graph's statistics
// change (CYPHER replan=skip): each has one sensible plan, index or
// element id seeks, and a first load would otherwise make every plan
// stale and planned again on the next run. Every batch runs in a managed
// transaction, so the driver retries transient errors (deadlocks
// included); the Writer counts those retries.
package neo4jw
