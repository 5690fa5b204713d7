// Package sink is the library for writing a crmgraph sink: any consumer
// that writes the CRM stream's record events somewhere (a search index, a
// warehouse, files). The loader is the pipeline's own chunked sink; this
// package serves the ones added next to it.
//
// A sink is a durable pull consumer on the record events
// (crm.rec.<source>.<module>.<id>), named after the sink. Open creates it
// with events.SinkConsumerConfig: a new sink starts from the first message
// of the stream, so it backfills every record the stream holds (the
// stream keeps the latest version of every record and every tombstone);
// a known sink resumes after its last acknowledgement. Replay rewinds it
// to the start. Nothing in this package deletes a consumer.
//
// Records reach the sink in one of two ways, both acknowledging a record
// only after the sink's code returned nil for it:
//
//   - RunChunks fetches chunks (up to a size, or whatever arrived within
//     a wait) and hands each to a ChunkFunc: the way for targets that
//     write in batches. A failing chunk is handed over again, in place,
//     until it is written.
//   - Run hands records one at a time to a HandlerFunc through a
//     watermill router over watermill-nats/v2 (NewSubscriber and
//     NewRouter build the parts for callers who add their own), with
//     retry, poison-queue and recoverer middleware: the way for low
//     volume targets and for code that already speaks watermill.
//
// Messages that are not record events, and records whose handler returns
// an error wrapping ErrPermanent (or panics, on the watermill path), go to
// crm.dlq.<sink>.<seq> in the events.DeadLetter format, and the sink moves
// on. Every other failure is retried without end, so a sink whose target
// is down loses nothing.
//
// # Order and duplicates
//
// Delivery is at least once: a record written just before a crash, or
// whose acknowledgement was lost, comes again. With MaxAckPending 1 (the
// default) the server hands out one message at a time, so records arrive
// strictly in stream order, redeliveries included; a chunked sink run by
// one process keeps the same order, since it retries a chunk in place. A
// sink that must not write a record twice then only needs to remember the
// highest stream sequence it wrote (Record.Seq) and skip anything at or
// below it: the archive sink (sinks/archive) does exactly that. With
// Config.Exclusive, Open first makes what a previous process left
// unacknowledged deliverable again at once (RedeliverPending), so a
// restart does not wait out the ack wait.
//
// # watermill-nats, and what this package does about it
//
// watermill-nats/v2 v2.1.3's pkg/jetstream has sharp edges (see
// shared/notes/nats.md): its resource initializers create consumers of
// their own that are ephemeral or deleted on close; its subscriber
// prefetches up to 500 messages, whose ack wait runs while earlier ones
// are handled; its default unmarshaler fails on a header with several
// values and the subscriber then uses a nil message; it stops waiting
// for a handler after its own AckWaitTimeout; and closing the subscriber
// drains its connection. The Subscriber here binds to the consumer Open
// made and returns no closer; buffers at most 10 messages (one with
// MaxAckPending 1); never fails to unmarshal; keeps a message in progress
// while it is handled; waits for the server to confirm each
// acknowledgement, and sends it itself when the subscriber is closing
// and would drop it; and asks for a connection of its own.
package sink
