// Package run is the extractor's run: one pass over one source that turns
// the Zoho organisation into record events and run markers, as design.md
// describes.
//
// A run takes the source's lease, plans the modules (settings/modules or a
// configured list, plus Users), and reads them side by side through the
// zoho client; a full run cuts the largest modules into slices of
// Modified_Time read side by side, at times the stream or, before the first
// run, COQL tells (slice.go, probe.go), and reads in Modified_Time order
// whatever might pass Zoho's 100,000-record page token limit (limit.go).
// For each module it publishes the schema, then every record whose
// canonical hash differs from the latest event on the stream. A full
// run then tombstones the records the stream holds but Zoho no longer
// returned; an incremental run reads only what changed since each module's
// watermark (minus an overlap) and tombstones what the deleted-records feed
// lists. When every publish is acknowledged it publishes the extracted
// marker, and only then advances the watermarks. A run that fails publishes
// a failed marker with the reason and changes no watermark; tombstones are
// published only after every module was read completely.
package run
