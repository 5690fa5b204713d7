// Package consume delivers loaded markers to the relinker through a
// watermill router over watermill-nats/v2's pkg/jetstream subscriber.
//
// Why pkg/jetstream: the relinker's durable consumer (events.
// RelinkerConsumerConfig) is a pull consumer, and pkg/jetstream is the
// watermill adapter for pull consumers. Its built-in resource
// initializers would create (and, on close, delete) consumers of their
// own, so a custom ResourceInitializer binds to the durable consumer
// through events.EnsureConsumer and returns no closer: the consumer and
// its position outlive every process. PullMaxMessages(1) stops the client
// from prefetching markers whose ack wait would run out while an earlier
// one is relinked; MaxAckPending 1 on the consumer makes one marker at a
// time the rule across processes.
//
// The library's default unmarshaler fails on a header with several values
// and its subscriber then dereferences a nil message; the Unmarshaler here
// never fails (it keeps a header's first value) and records the stream
// sequence and subject of each message.
//
// Middleware, outermost first:
//
//   - track keeps the JetStream message in progress (InProgress at a
//     quarter of the ack wait) while the marker is handled, so a long
//     relink is never redelivered under a live process, and on shutdown
//     naks it so another process takes it at once;
//   - PoisonQueue sends a marker that failed permanently (undecodable,
//     or the handler said so, or a panic) to crm.dlq.relinker.<seq> in
//     the events.DeadLetter format, and acknowledges it;
//   - Retry retries other failures in process with backoff; after that
//     the marker is nacked with a delay and redelivered, without end: a
//     Neo4j outage loses nothing;
//   - Recoverer turns a panic into an error.
package consume
