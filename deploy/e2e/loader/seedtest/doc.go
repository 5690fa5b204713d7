// Package seedtest is the shared plumbing of the loader's end-to-end tests:
// the simulator's seed dataset as record events, an embedded NATS with the
// CRM stream beside the real Neo4j, the loader binary run as a real
// process, and an exact comparison of the graph with the events it was
// loaded from.
package seedtest
