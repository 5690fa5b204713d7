package zoho

import "slices"

// merger joins the field groups of records by id. It is used by one
// goroutine.
type merger struct {
	groups  int
	all     uint64              // the mask of every group
	pending map[string]*partial // records some group has not returned yet
	order   []string            // pending ids in arrival order
	done    map[string]bool     // ids already delivered
}

// partial is a record some of whose groups have arrived.
type partial struct {
	rec  Record
	have uint64 // groups arrived, one bit each
}

func newMerger(groups int) *merger {
	return &merger{
		groups:  groups,
		all:     1<<groups - 1,
		pending: map[string]*partial{},
		done:    map[string]bool{},
	}
}

// run merges the feeds round by round until all are closed, calling
// deliver with the records each round completed.
func (m *merger) run(feeds []chan []Record, deliver func([]Record) error) error {
	for {
		done, open := m.round(feeds)
		if len(done) > 0 {
			if err := deliver(done); err != nil {
				return err
			}
		}
		if !open {
			return nil
		}
	}
}

// round takes the next page of every feed still open, merges them and
// returns the records now complete, in the order they first arrived. open
// reports whether any feed is still open.
func (m *merger) round(feeds []chan []Record) (done []Record, open bool) {
	if m.groups == 1 {
		recs, ok := <-feeds[0]
		return m.unique(recs), ok
	}
	for gi, f := range feeds {
		recs, ok := <-f
		if ok {
			open = true
			m.add(gi, recs)
		}
	}
	return m.take(), open
}

// unique drops records already delivered, for the one-group case where
// nothing needs merging.
func (m *merger) unique(recs []Record) []Record {
	out := recs[:0]
	for _, r := range recs {
		id := r.ID()
		if m.done[id] {
			continue
		}
		m.done[id] = true
		out = append(out, r)
	}
	return out
}

// add merges one group's records.
func (m *merger) add(gi int, recs []Record) {
	bit := uint64(1) << gi
	for _, r := range recs {
		id := r.ID()
		if m.done[id] {
			continue
		}
		p := m.pending[id]
		if p == nil {
			// Room for the other groups' members, so that they are added
			// without copying the record again.
			r.Members = slices.Grow(r.Members, len(r.Members)*(m.groups-1))
			m.pending[id] = &partial{rec: r, have: bit}
			m.order = append(m.order, id)
			continue
		}
		if p.have&bit != 0 {
			continue // this group's read went on past the page token limit
		}
		p.rec.Members = append(p.rec.Members, r.Members...)
		p.have |= bit
	}
}

// take removes and returns the complete records.
func (m *merger) take() []Record {
	var done []Record
	keep := m.order[:0]
	for _, id := range m.order {
		p := m.pending[id]
		if p == nil {
			continue
		}
		if p.have != m.all {
			keep = append(keep, id)
			continue
		}
		done = append(done, p.rec)
		delete(m.pending, id)
		m.done[id] = true
	}
	m.order = keep
	return done
}

// missing returns the pending ids that group gi has not returned.
func (m *merger) missing(gi int) []string {
	bit := uint64(1) << gi
	var ids []string
	for _, id := range m.order {
		if p := m.pending[id]; p != nil && p.have&bit == 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// pendingCount reports how many records are incomplete.
func (m *merger) pendingCount() int { return len(m.pending) }
