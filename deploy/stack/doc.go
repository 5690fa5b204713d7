// Package stack runs crmgraph's stages as real processes on the local
// stack, for the demo, the benchmarks and end-to-end tests: it starts and
// stops processes, measures their peak memory, waits for run markers on
// the stream and reads counts back from the graph.
package stack
