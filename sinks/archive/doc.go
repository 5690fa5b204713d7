// Package archive is crmgraph's example sink: a per-module archive of the
// CRM stream's record events as compressed JSON Lines files, written with
// the events/sink library and watermill. The binary is sinks/cmd/archive.
//
// # Layout and format
//
//	<dir>/<source>/<module>/<module>-<first seq>.jsonl.gz        sealed
//	<dir>/<source>/<module>/<module>-<first seq>.jsonl.gz.part   open
//
// The first sequence is padded to 20 digits, so names sort in stream
// order and `zcat <module>-*.jsonl.gz` reads a module's history in order.
// Each line is one record event (Line):
//
//	{"seq":812,"subject":"crm.rec.zoho.Contacts.3652397000000251001",
//	 "op":"upsert","run":"20250601T020000Z-4f09a2",
//	 "modified":"2024-11-02T09:14:03Z","hash":"9b0c...","stored":"...",
//	 "record":{ the record exactly as Zoho returned it }}
//
// A file is sealed (gzip trailer written, flushed to stable storage,
// renamed without .part) when it reaches MaxFileRecords records or
// MaxFileBytes compressed bytes, MaxFileAge after its first record, and
// at shutdown. A sealed file never changes again; a restart opens new
// files. Only one process archives into a directory at a time (a lock
// file, released by the kernel however the process ends).
//
// # Every record exactly once
//
// The sink runs with MaxAckPending 1, so the server hands it one record
// event at a time and delivers them in stream order, redeliveries
// included (a redelivered event always comes before any later one), and
// it is Exclusive, so at start whatever a previous process received and
// did not acknowledge comes again first. Sequences grow along the stream,
// hence per module as well.
//
// Write appends the event's line to the module's open file, pushes it
// through the gzip stream (a sync flush) and writes it to the file before
// it returns; only then is the event acknowledged. So:
//
//   - no gap: an event is acknowledged only once its line is in the file
//     (in the operating system's hands; with Sync, on stable storage);
//     an event that was not acknowledged is delivered again;
//   - no duplicate: the archive keeps the highest sequence written per
//     module and skips an event at or below it. Because delivery is in
//     order, such an event can only be a redelivery of one already
//     written (the process died, or its acknowledgement was lost,
//     between the write and the ack), never a new one;
//   - crash: the highest sequence is recovered at start from the files.
//     A file left open (.part) may end with a torn record: it is read up
//     to its last complete line and rewritten as a sealed file (salvage),
//     so the torn record, which was never acknowledged, is written again
//     when it is redelivered. The highest sequence is the last line of the
//     module's last file.
//
// A failed write (a full disk) salvages the open file the same way, the
// record is retried, and nothing is acknowledged until it is written.
//
// # Replay
//
// The stream is compacted: it keeps the latest version of each record, so
// an archive holds history the stream no longer has. A replay therefore
// never rewrites an existing archive: it goes to a new, empty directory
// (the binary's --replay rewinds the consumer only when --dir holds no
// archive yet) and yields a snapshot of the stream as it is now. Since
// sequences restart from the stream's first message, replaying into a
// directory that holds an archive would skip everything up to its highest
// sequence.
package archive
