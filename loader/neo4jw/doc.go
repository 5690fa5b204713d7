// Package neo4jw is the loader's Neo4j writer: it turns a batch of record
// versions into one write transaction, with one UNWIND statement per label
// and operation, and keeps the graph order-safe and idempotent.
//
// Every node holds the stream sequence (_seq) of the version it was last
// written from, and a version is applied only when its sequence is not
// lower than the node's. Deletions are remembered by tombstone nodes (label
// CrmgraphTombstone, keyed by label and id) holding the sequence of the
// delete, so that a late upsert older than the delete cannot bring the
// record back; a newer upsert removes the tombstone again. Both statements
// first MERGE the record's node, which takes the lock of its unique key,
// and only then read the tombstone, so two loaders that hold different
// versions of one record serialise on that lock and the newest version
// wins whatever the commit order.
//
// Labels are the only names written into query text; they are validated
// with graph.ValidName, backtick-quoted, and each label's statements are
// built once and reused, so the server plans each of them once. Property
// keys and values travel only as parameters.
//
// The writer knows nothing of NATS: a benchmark or another tool can feed it
// rows straight from memory.
package neo4jw
