package run

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/crmgraph/crmgraph/extractor/zoho"
)

// Reading a module is a chain of pages: each page_token comes with the page
// before. With Zoho-like latency the largest module would then set the
// length of a full run, however many calls Zoho allows at once. A full run
// therefore cuts the largest modules into slices of Modified_Time, at the
// quantiles of the times the stream holds from the last run (or, before the
// first, the times Zoho tells: probe.go), and reads the slices side by
// side: each but the last in ascending Modified_Time order
// (sort_by, a heavy call under Zoho's sub-concurrency limit) up to its
// bound; the last, which has no upper bound, in Zoho's default order. A
// record modified while its module is read may escape every slice; the
// check by id before tombstoning finds it (tombstone.go), and the
// watermark, which never passes the run's start, makes the next run read
// it again.

// span is the part of a module one chain of pages reads.
type span struct {
	since, until time.Time // (since, until]; zero means open
	ordered      bool      // in ascending Modified_Time order
	pages        int       // pages expected, 0 when unknown
}

// maxSlices bounds the slices of one module.
const maxSlices = 16

// moduleSize is what slicing weighs: a module's pages and field groups.
type moduleSize struct {
	m             *moduleResult
	pages         int // pages of records, from the index
	groups        int // field groups of a plain read
	orderedGroups int // field groups of a bounded read
	sliceable     bool
}

// calls returns the calls of reading the module in n slices, and how many
// of them are heavy.
func (s moduleSize) calls(n int) (all, heavy int) {
	if n <= 1 {
		return s.pages * s.groups, 0
	}
	per := ceilDiv(s.pages, n)
	heavy = (n - 1) * per * s.orderedGroups
	return heavy + per*s.groups, heavy
}

// sliceModules decides how each module is read, and returns the modules
// longest chain of pages first. Only full runs slice: the index, or the
// probe of a module the index does not hold, tells the modules' sizes and
// their times.
func (x *Run) sliceModules(ms map[string]*moduleResult) []*moduleResult {
	order := slices.SortedFunc(maps.Values(ms), func(a, b *moduleResult) int {
		return cmp.Compare(a.name, b.name)
	})
	if x.snap == nil {
		return order
	}
	sizes := x.sizes(ms)
	for _, s := range sizes {
		s.m.slices[0].pages = s.pages
	}
	conc := x.r.zoho.Concurrency()
	heavySlots := min(zoho.SubConcurrency, conc)
	best, _ := estimate(sizes, 0, conc, heavySlots)
	bestK := 0
	for k := 1; k <= len(sizes) && sizes[k-1].sliceable; k++ {
		if t, _ := estimate(sizes, k, conc, heavySlots); t < best {
			best, bestK = t, k
		}
	}
	_, parts := estimate(sizes, bestK, conc, heavySlots)
	for i, s := range sizes[:bestK] {
		cuts := x.quantiles(s.m, parts[i])
		if len(cuts) == 0 {
			continue
		}
		s.m.slices = spans(cuts, ceilDiv(s.pages, len(cuts)+1))
		x.log.Debug("module sliced", "module", s.m.name, "slices", len(s.m.slices),
			"pages", s.pages, "target", best)
	}
	length := func(m *moduleResult) int { return chain(m.slices[0].pages) }
	slices.SortStableFunc(order, func(a, b *moduleResult) int {
		return cmp.Compare(length(b), length(a))
	})
	return order
}

// sizes returns the modules' sizes, largest first.
func (x *Run) sizes(ms map[string]*moduleResult) []moduleSize {
	perPage := x.r.zoho.PerPage()
	var sizes []moduleSize
	for _, m := range ms {
		if m.users || !m.schema {
			continue
		}
		names := apiNames(m.fields)
		bounded := zoho.RecordQuery{Fields: names, Until: x.Started}
		sizes = append(sizes, moduleSize{m: m,
			pages:         max(1, ceilDiv(x.liveCount(m), perPage)),
			groups:        len(zoho.FieldGroups(names, zoho.MaxFields)),
			orderedGroups: len(bounded.Groups()),
			sliceable:     m.modified,
		})
	}
	slices.SortFunc(sizes, func(a, b moduleSize) int {
		return cmp.Or(cmp.Compare(b.pages*b.groups, a.pages*a.groups),
			cmp.Compare(a.m.name, b.m.name))
	})
	// Only a prefix of sliceable modules is sliced.
	slices.SortStableFunc(sizes, func(a, b moduleSize) int {
		switch {
		case a.sliceable == b.sliceable:
			return 0
		case a.sliceable:
			return -1
		}
		return 1
	})
	return sizes
}

// estimate returns how many page latencies reading every module takes
// when the k largest are sliced, and into how many slices each of them:
// the shortest time t in which the longest chain, the heavy calls over the
// sub-concurrency limit and all calls over the concurrency limit all fit,
// with no more heavy chains than heavy slots (more would take turns, and
// each would last longer than planned).
func estimate(sizes []moduleSize, k, conc, heavySlots int) (int, []int) {
	longest := 0
	for _, s := range sizes {
		longest = max(longest, s.pages)
	}
	parts := make([]int, k)
	for t := 1; ; t++ {
		fits, all, heavy, heavyChains := true, 0, 0, 0
		for i, s := range sizes {
			n := 1
			if i < k {
				n = min(maxSlices, max(2, ceilDiv(s.pages, t)))
				parts[i] = n
				heavyChains += (n - 1) * s.orderedGroups
			}
			fits = fits && chain(ceilDiv(s.pages, n)) <= t
			a, h := s.calls(n)
			all += a
			heavy += h
		}
		fits = fits && heavyChains <= heavySlots && ceilDiv(all, conc) <= t &&
			ceilDiv(heavy, heavySlots) <= t
		if fits || t >= longest {
			return t, parts
		}
	}
}

// spans turns n-1 cuts into n spans covering every time: ordered and
// bounded ones, then an open one read in Zoho's default order.
func spans(cuts []time.Time, pages int) []span {
	out := make([]span, 0, len(cuts)+1)
	var since time.Time
	for _, c := range cuts {
		out = append(out, span{since: since, until: c, ordered: true, pages: pages})
		since = c
	}
	return append(out, span{since: since, pages: pages})
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// chain returns how many page latencies reading pages pages takes: the
// first ones are asked for at once by page number (zoho.RecordQuery.Pages),
// the rest one after the other.
func chain(pages int) int {
	const discrete = 2000 / zoho.MaxPerPage
	if pages <= discrete {
		return 1
	}
	return pages - discrete + 1
}
