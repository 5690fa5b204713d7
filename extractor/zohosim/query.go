package zohosim

import (
	"math"
	"sort"
)

// noSince is the "since" of a scan without If-Modified-Since.
const noSince = math.MinInt64

// order is a record order: by id (which is also Created_Time order) or by
// (Modified_Time, id), ascending or descending.
type order struct {
	byMod bool
	desc  bool
}

// scan walks the live records of a table in an order, after a cursor, keeping those
// modified after since. The caller holds the dataset's read lock.
type scan struct {
	t     *table
	ord   order
	from  cursor // start after this position (or at the beginning)
	since int64  // keep records with Modified_Time > since
}

// key returns the sort key of record idx in the scan's order.
func (s *scan) key(idx int32) int64 {
	if s.ord.byMod {
		return s.t.mod[idx]
	}
	return int64(idx)
}

// page returns up to limit records after skipping skip, and whether more follow.
func (s *scan) page(skip, limit int) (out []int32, more bool) {
	out = make([]int32, 0, min(limit, 256))
	s.each(func(idx int32) bool {
		if skip > 0 {
			skip--
			return true
		}
		if len(out) == limit {
			more = true
			return false
		}
		out = append(out, idx)
		return true
	})
	return out, more
}

// each calls fn for the records of the scan in order until fn returns false.
func (s *scan) each(fn func(idx int32) bool) {
	if s.ord.byMod {
		s.eachByMod(fn)
		return
	}
	t := s.t
	if s.ord.desc {
		i := int32(t.size() - 1)
		if !s.from.start {
			i = s.from.idx - 1
		}
		for ; i >= 0; i-- {
			if !t.gone[i] && t.mod[i] > s.since && !fn(i) {
				return
			}
		}
		return
	}
	i := int32(0)
	if !s.from.start {
		i = s.from.idx + 1
	}
	for ; int(i) < t.size(); i++ {
		if !t.gone[i] && t.mod[i] > s.since && !fn(i) {
			return
		}
	}
}

// eachByMod walks the (Modified_Time, id) index, which holds live records only.
func (s *scan) eachByMod(fn func(idx int32) bool) {
	t, ix := s.t, s.t.byMod
	if s.ord.desc {
		end := len(ix)
		if !s.from.start {
			end = s.search(false) // the walk starts just before the cursor
		}
		for i := end - 1; i >= 0 && t.mod[ix[i]] > s.since; i-- {
			if !fn(ix[i]) {
				return
			}
		}
		return
	}
	start := sort.Search(len(ix), func(i int) bool { return t.mod[ix[i]] > s.since })
	if !s.from.start {
		start = max(start, s.search(true))
	}
	for i := start; i < len(ix); i++ {
		if !fn(ix[i]) {
			return
		}
	}
}

// search returns the position in the index of the first record after the cursor
// (strict) or at or after it.
func (s *scan) search(strict bool) int {
	t, ix, c := s.t, s.t.byMod, s.from
	return sort.Search(len(ix), func(i int) bool {
		m := t.mod[ix[i]]
		return m > c.key || m == c.key && (ix[i] > c.idx || !strict && ix[i] == c.idx)
	})
}

// cursorAt returns the cursor just after record idx, with served records before it.
func (s *scan) cursorAt(idx int32, served int) cursor {
	return cursor{key: s.key(idx), idx: idx, served: int32(served)}
}

// latest returns the newest Modified_Time of a table's live records, or noSince.
func (t *table) latest() int64 {
	if len(t.byMod) == 0 {
		return noSince
	}
	return t.mod[t.byMod[len(t.byMod)-1]]
}
