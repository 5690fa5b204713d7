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
// sequence, sorted by start and end id. Every batch is one UNWIND $rows
// statement with fixed text per (start label, type, end label), run in a
// managed transaction, so the driver retries transient errors (deadlocks
// included); the Writer counts those retries.
package neo4jw
