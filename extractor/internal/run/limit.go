package run

// Zoho's page_token reaches the first 100,000 records of a list. The zoho
// client goes on past that limit at no extra cost in an ordered read
// (ascending Modified_Time, keyset on the last second read); a read in
// Zoho's default order that reaches it is read again, ordered, from the
// start. So a full read that might reach the limit is read ordered from
// the start: a module the stream knows nothing of (the first run, a new
// module), or one whose span is expected past half the limit, which
// leaves room for the module to grow between runs. Incremental reads stay
// in the default order: what changed since a watermark is rarely near the
// limit, and the client still reads it completely when it is.

// orderLarge makes ordered every span of a full read that might reach the
// page token limit.
func (x *Run) orderLarge(ms map[string]*moduleResult) {
	limit, perPage := x.r.zoho.PageTokenLimit(), x.r.zoho.PerPage()
	for _, m := range ms {
		if m.users || !m.schema || !m.modified || !m.full {
			continue
		}
		unknown := !m.probed && (x.snap == nil || x.snap.LiveCount(m.name) == 0)
		for i := range m.slices {
			sp := &m.slices[i]
			if !sp.ordered && (unknown || sp.pages*perPage > limit/2) {
				sp.ordered = true
				x.log.Debug("module read in Modified_Time order", "module", m.name,
					"pages", sp.pages, "unknown", unknown)
			}
		}
	}
}
