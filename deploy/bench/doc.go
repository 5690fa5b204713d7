// Package bench measures crmgraph on the local stack (real NATS, real
// Neo4j, the Zoho simulator, the stages as separate processes), scenario by
// scenario, and writes the results as JSON and as a table:
//
//	full         full sync into an empty graph: extractor start to linked marker
//	baseline     the same nodes and relationships written straight from memory
//	             with the stages' own writers and batch sizes, no NATS
//	noop         a second full sync with nothing changed
//	incremental  1% updated, 0.1% deleted, 0.5% created, then an incremental sync
//	replay       the graph rebuilt from the stream into an empty database
//	zoho         full sync against Zoho-like latency and concurrency limits
//
// Each scenario runs several times; the median, minimum and maximum are
// reported with the peak memory of every stage process.
package bench
