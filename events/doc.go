// Package events is the contract between the stages of crmgraph.
//
// Every record fetched from Zoho CRM becomes a record event on the JetStream
// stream CRM; every stage announces what it finished with a run marker; the
// graph in Neo4j is a projection of that stream. This package holds what the
// stages must agree on and nothing else:
//
//   - subject builders and parsers (subject.go), which refuse unsafe tokens;
//   - idempotent setup of the stream, the stages' durable consumers and the
//     KV buckets (stream.go, consumer.go, kv.go);
//   - the record event and its headers (record.go), the canonical body hash
//     (hash.go), the run markers (marker.go), module schemas (schema.go) and
//     dead letters (dlq.go).
//
// The subpackage graph holds the graph model (labels, property mapping) that
// every Neo4j sink shares; natstest and neo4jtest are helpers for tests that
// need a real JetStream server or a real Neo4j.
package events
