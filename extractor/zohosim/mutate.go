package zohosim

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// MutateSpec says what share of each module's live records to change.
type MutateSpec struct {
	// Update is the share of records to update: a few fields get new values, some
	// lookups move to other live records, Modified_Time and Modified_By change.
	Update float64 `json:"update"`
	// Create adds this share of new records, with new ids and valid lookups.
	Create float64 `json:"create"`
	// Delete is the share of records to delete; they enter the deleted-records feed
	// as type "recycle".
	Delete float64 `json:"delete"`
	// Modules restricts the change to these modules; empty means every record
	// module. Records elsewhere may still change when their lookups pointed at a
	// deleted record (see Changes.Unlinked).
	Modules []string `json:"modules,omitempty"`
}

// Changes lists, per module, the ids a mutation touched. An incremental sync that
// starts before At must publish exactly Modified() as upserts and Deleted as deletes.
type Changes struct {
	// At is the time the changes carry: Modified_Time, Created_Time, deleted_time.
	At time.Time `json:"at"`
	// Updated lists the records the mutation chose to update.
	Updated map[string][]string `json:"updated"`
	// Created lists the new records.
	Created map[string][]string `json:"created"`
	// Deleted lists the deleted records.
	Deleted map[string][]string `json:"deleted"`
	// Unlinked lists records that were not chosen but whose relationship fields
	// pointed at a deleted record: those fields became null and Modified_Time moved,
	// so that every non-null relationship still points at a live record.
	Unlinked map[string][]string `json:"unlinked"`
}

// Modified returns the ids of module whose Modified_Time the mutation set: updated,
// created and unlinked records, in ascending id order.
func (c Changes) Modified(module string) []string {
	ids := slices.Concat(c.Updated[module], c.Created[module], c.Unlinked[module])
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
	})
	return ids
}

// Probabilities of the link changes an update makes.
const (
	moveLinkShare  = 40 // percent of updates that move one lookup
	moveOwnerShare = 25 // percent of updates that reassign the owner
)

// mutation is one Mutate call in progress. The Sim's write lock is held.
type mutation struct {
	d       *dataset
	rnd     *rand.Rand
	now     int64
	changed map[*table]map[int32]bool
	out     Changes
}

// Mutate changes the dataset as spec asks and returns exactly what changed. Choices
// are deterministic for a seed and the sequence of Mutate calls since New or Reset.
func (s *Sim) Mutate(spec MutateSpec) (Changes, error) {
	for _, v := range []float64{spec.Update, spec.Create, spec.Delete} {
		if v < 0 || v > 1 || math.IsNaN(v) {
			return Changes{}, fmt.Errorf("%w: shares must be between 0 and 1", ErrInvalidSpec)
		}
	}
	if spec.Update+spec.Delete > 1 {
		return Changes{}, fmt.Errorf("%w: update and delete shares exceed 1", ErrInvalidSpec)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tables, err := s.mutable(spec.Modules)
	if err != nil {
		return Changes{}, err
	}
	s.mutation++
	now := s.cfg.Now().Truncate(time.Second)
	m := &mutation{
		d:       s.data,
		rnd:     rand.New(rand.NewPCG(uint64(s.cfg.Seed), uint64(s.mutation))),
		now:     now.Unix(),
		changed: map[*table]map[int32]bool{},
		out: Changes{At: now.In(s.data.zone), Updated: map[string][]string{},
			Created: map[string][]string{}, Deleted: map[string][]string{},
			Unlinked: map[string][]string{}},
	}
	updates := map[*table][]int32{}
	for _, t := range tables {
		updates[t] = m.delete(t, spec)
	}
	for _, t := range tables {
		m.update(t, updates[t])
		m.create(t, spec.Create)
	}
	if len(m.out.Deleted) > 0 {
		m.unlink()
	}
	for t, ch := range m.changed {
		t.reindex(ch)
	}
	s.log.Info("dataset mutated", "updated", count(m.out.Updated),
		"created", count(m.out.Created), "deleted", count(m.out.Deleted),
		"unlinked", count(m.out.Unlinked))
	return m.out, nil
}

// count sums the lengths of the lists in a map.
func count(m map[string][]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}

// mutable returns the tables a mutation may choose records from.
func (s *Sim) mutable(names []string) ([]*table, error) {
	if len(names) == 0 {
		var out []*table
		for _, t := range s.data.tables[1:] {
			if t.m.base > 0 {
				out = append(out, t)
			}
		}
		return out, nil
	}
	var out []*table
	for _, n := range names {
		t := s.data.recordTable(n)
		if t == nil {
			return nil, fmt.Errorf("mutating module %q: %w", n, ErrUnknownModule)
		}
		out = append(out, t)
	}
	return out, nil
}

// touch marks record idx of t as changed by this mutation.
func (m *mutation) touch(t *table, idx int32) {
	if m.changed[t] == nil {
		m.changed[t] = map[int32]bool{}
	}
	m.changed[t][idx] = true
	t.mod[idx] = m.now
}

// delete removes a share of t's live records and returns the records to update,
// chosen from the remaining live ones.
func (m *mutation) delete(t *table, spec MutateSpec) []int32 {
	live := make([]int32, 0, t.live)
	for i := range t.size() {
		if !t.gone[i] {
			live = append(live, int32(i))
		}
	}
	nd := int(math.Round(spec.Delete * float64(len(live))))
	nu := int(math.Round(spec.Update * float64(len(live))))
	for i := range min(nd+nu, len(live)) { // partial Fisher-Yates shuffle
		j := i + m.rnd.IntN(len(live)-i)
		live[i], live[j] = live[j], live[i]
	}
	for _, idx := range live[:nd] {
		t.gone[idx] = true
		t.live--
		t.feed = append(t.feed, deletion{idx: idx, at: m.now,
			by: int32(m.rnd.IntN(m.d.users().n0))})
		m.out.Deleted[t.m.api] = append(m.out.Deleted[t.m.api], m.d.idString(t.m.num, int(idx)))
		if m.changed[t] == nil {
			m.changed[t] = map[int32]bool{}
		}
	}
	return live[nd:min(nd+nu, len(live))]
}

// update applies one update to each record of idxs.
func (m *mutation) update(t *table, idxs []int32) {
	for _, idx := range idxs {
		t.ver[idx]++
		m.touch(t, idx)
		m.out.Updated[t.m.api] = append(m.out.Updated[t.m.api], m.d.idString(t.m.num, int(idx)))
		roll := m.rnd.IntN(100)
		if roll < moveOwnerShare && len(t.m.links) > 0 && t.m.links[0].link.all {
			m.setLink(t, int(idx), 0, m.pickTarget(t, int(idx), 0))
		}
		if roll < moveLinkShare {
			m.moveLink(t, int(idx))
		}
	}
}

// moveLink points one non-null lookup of record idx (other than Owner) at another
// live record.
func (m *mutation) moveLink(t *table, idx int) {
	var set []int
	for li, f := range t.m.links {
		if !f.link.all && !m.d.target(t, idx, li).isNull() {
			set = append(set, li)
		}
	}
	if len(set) == 0 {
		return
	}
	li := set[m.rnd.IntN(len(set))]
	if to := m.pickTarget(t, idx, li); !to.isNull() {
		m.setLink(t, idx, li, to)
	}
}

// setLink stores a relationship value of record idx.
func (m *mutation) setLink(t *table, idx, li int, to ref) {
	t.over[overKey(idx, li)] = to
}

// pickTarget chooses a live record for relationship li of record idx: a user for
// Owner, an older record for a self-reference (so hierarchies stay acyclic), any
// live record of a target module otherwise. It returns nullRef if there is none.
func (m *mutation) pickTarget(t *table, idx, li int) ref {
	l := t.m.links[li].link
	tt := m.d.byAPI[l.targets[m.rnd.IntN(len(l.targets))]]
	limit := tt.size()
	if l.self {
		limit = idx
	}
	if limit <= 0 {
		return nullRef
	}
	for range 64 {
		i := m.rnd.IntN(limit)
		if !tt.gone[i] && (tt != t || i != idx) {
			return ref{tab: int16(tt.no), idx: int32(i)}
		}
	}
	return nullRef
}

// create adds a share of new records to t, with relationship values in the
// proportions of the generated ones.
func (m *mutation) create(t *table, share float64) {
	n := int(math.Round(share * float64(t.live)))
	for range n {
		idx := t.size()
		t.mod = append(t.mod, m.now)
		t.ver = append(t.ver, 0)
		t.gone = append(t.gone, false)
		t.born = append(t.born, m.now)
		t.live++
		m.touch(t, int32(idx))
		for li, f := range t.m.links {
			p := 1.0
			if !f.link.all {
				p = float64(f.link.count) / float64(max(t.m.base, 1))
			}
			if m.rnd.Float64() < p {
				if to := m.pickTarget(t, idx, li); !to.isNull() {
					m.setLink(t, idx, li, to)
				}
			}
		}
		m.out.Created[t.m.api] = append(m.out.Created[t.m.api], m.d.idString(t.m.num, idx))
	}
}

// unlink clears every relationship value that points at a deleted record and moves
// the Modified_Time of records so changed.
func (m *mutation) unlink() {
	for _, t := range m.d.tables[1:] {
		_ = m.d.eachLink(t, func(idx, li int, to ref) error {
			if !m.d.tables[to.tab].gone[to.idx] {
				return nil
			}
			m.setLink(t, idx, li, nullRef)
			if !m.changed[t][int32(idx)] {
				m.out.Unlinked[t.m.api] = append(m.out.Unlinked[t.m.api],
					m.d.idString(t.m.num, idx))
			}
			m.touch(t, int32(idx))
			return nil
		})
	}
}

// reindex rebuilds the (Modified_Time, id) index after the records in changed moved
// or were deleted: the untouched order is kept and the changed records merged in.
func (t *table) reindex(changed map[int32]bool) {
	kept := make([]int32, 0, t.live)
	for _, i := range t.byMod {
		if !changed[i] && !t.gone[i] {
			kept = append(kept, i)
		}
	}
	moved := make([]int32, 0, len(changed))
	for i := range changed {
		if !t.gone[i] {
			moved = append(moved, i)
		}
	}
	slices.SortFunc(moved, t.cmpMod)
	out := make([]int32, 0, len(kept)+len(moved))
	a, b := 0, 0
	for a < len(kept) || b < len(moved) {
		if b == len(moved) || a < len(kept) && t.cmpMod(kept[a], moved[b]) < 0 {
			out = append(out, kept[a])
			a++
		} else {
			out = append(out, moved[b])
			b++
		}
	}
	t.byMod = out
}
