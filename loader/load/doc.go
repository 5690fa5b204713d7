// Package load is the loader stage: it projects the record events of the
// CRM stream into Neo4j nodes.
//
// One durable pull consumer (events.LoaderConsumerConfig) feeds every
// loader process. A fetch goroutine pulls chunks with Fetch, decodes and
// maps them (graph.Mapping), and hands them to the writers while it
// fetches the next one; each writer commits one chunk as one Neo4j
// transaction (neo4jw) and acknowledges the chunk's messages only after
// the commit:
//
//	JetStream ──Fetch──> prepare ──chunk──> write (1 tx) ──> counts ──> ack
//	                        │                    │
//	                        │                    └─ Neo4j down: keep the chunk
//	                        │                       (InProgress), back off, retry
//	                        ├─ bad message ─> crm.dlq.loader.<seq>, Term
//	                        └─ extracted marker ─> waiter: ack floor >= LastSeq
//	                                               ─> publish loaded, ack marker
//
// Order: each node keeps the stream sequence of its version and older
// versions never overwrite newer ones (see neo4jw), so redeliveries,
// several loader processes and replays converge to the same graph.
//
// Counts: after each commit, the chunk's counts per run are added to a
// key of the crm_loader_runs bucket with compare-and-swap, so every loader
// process contributes to one total; the waiter reads it for the loaded
// marker. The counts are exact when nothing fails. A process that dies
// between its commit and its acknowledgements has its messages delivered
// again: their second pass changes nothing in the graph and is counted
// again (as updated, since the version equals the node's), so after a crash
// the counts may exceed the records of the run, never fall short of them;
// a process that dies between the commit and the counts update loses that
// chunk's first counts and the redelivery counts it once.
package load
