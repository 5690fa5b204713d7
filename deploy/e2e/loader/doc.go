// Package loader holds the loader's end-to-end tests and benchmarks at
// seed scale: the simulator's 58,741 records published as record events
// on an embedded NATS, loaded into the real Neo4j by the loader, in
// process or as real loader processes built from loader/cmd/loader.
package loader
