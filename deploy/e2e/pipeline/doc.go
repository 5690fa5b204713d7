// Package pipeline tests crmgraph the way an operator runs it: the Zoho
// simulator, the extractor, the loader and the relinker as separate
// processes (built from this checkout) on a real JetStream server and the
// real Neo4j, driven through deploy/stack like the demo and the benchmarks.
package pipeline
