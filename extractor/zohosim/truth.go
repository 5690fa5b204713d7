package zohosim

import (
	"encoding/json"
	"fmt"
)

// Counts describe the current dataset: what a complete sync must end up with.
type Counts struct {
	// Records is the number of live records per module, "Users" included.
	Records map[string]int `json:"records"`
	// Links is the number of non-null relationship values per module and field.
	Links map[string]map[string]int `json:"links"`
	// Deleted is the number of entries in each module's deleted-records feed.
	Deleted map[string]int `json:"deleted"`
	// TotalRecords and TotalLinks sum the maps above.
	TotalRecords int `json:"total_records"`
	TotalLinks   int `json:"total_links"`
}

// Counts returns the current counts.
func (s *Sim) Counts() Counts {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := Counts{Records: map[string]int{}, Links: map[string]map[string]int{},
		Deleted: map[string]int{}}
	for _, t := range s.data.tables {
		c.Records[t.m.api] = t.live
		c.TotalRecords += t.live
		if t.no == 0 {
			continue
		}
		c.Deleted[t.m.api] = len(t.feed)
		per := map[string]int{}
		for _, f := range t.m.links {
			per[f.api] = 0
		}
		_ = s.data.eachLink(t, func(_, li int, _ ref) error {
			per[t.m.links[li].api]++
			c.TotalLinks++
			return nil
		})
		c.Links[t.m.api] = per
	}
	return c
}

// EachRecord calls fn with every live record of module ("Users" included), in
// ascending id order, as the JSON object Get Records would return with every field
// requested (record-level $ keys included). It holds the read lock throughout: fn
// must not call Mutate or Reset.
func (s *Sim) EachRecord(module string, fn func(rec map[string]any) error) error {
	return s.EachRecordJSON(module, func(id string, body []byte) error {
		var rec map[string]any
		if err := json.Unmarshal(body, &rec); err != nil {
			return fmt.Errorf("decoding record %s of %s: %w", id, module, err)
		}
		return fn(rec)
	})
}

// EachRecordJSON is EachRecord without the decoding: fn gets each record's id and
// JSON body, which is only valid during the call.
func (s *Sim) EachRecordJSON(module string, fn func(id string, body []byte) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.data.byAPI[module]
	if t == nil {
		return fmt.Errorf("reading records of %q: %w", module, ErrUnknownModule)
	}
	var b []byte
	for idx := range t.size() {
		if t.gone[idx] {
			continue
		}
		if t.no == 0 {
			b = s.data.appendUserRecord(b[:0], idx)
		} else {
			b = s.data.appendRecord(b[:0], t, idx, t.m.fields, true)
		}
		if err := fn(s.data.idString(t.m.num, idx), b); err != nil {
			return err
		}
	}
	return nil
}

// Record returns one live record of a record module with every field, or an error
// wrapping ErrUnknownModule or ErrNoRecord.
func (s *Sim) Record(module, id string) (map[string]any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.data.recordTable(module)
	if t == nil {
		return nil, fmt.Errorf("reading record %s of %q: %w", id, module, ErrUnknownModule)
	}
	idx, ok := s.data.lookupID(t, id)
	if !ok {
		return nil, fmt.Errorf("reading record %s of %s: %w", id, module, ErrNoRecord)
	}
	var rec map[string]any
	b := s.data.appendRecord(nil, t, idx, t.m.fields, true)
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("decoding record %s of %s: %w", id, module, err)
	}
	return rec, nil
}

// EachLink calls fn with every non-null relationship value of every live record:
// lookups, Owner, What_Id, Who_Id and Notes' Parent_Id. It holds the read lock
// throughout: fn must not call Mutate or Reset.
func (s *Sim) EachLink(fn func(Link) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.data
	for _, t := range d.tables[1:] {
		err := d.eachLink(t, func(idx, li int, to ref) error {
			tt := d.tables[to.tab]
			return fn(Link{
				FromModule: t.m.api,
				FromID:     d.idString(t.m.num, idx),
				Field:      t.m.links[li].api,
				ToModule:   tt.m.api,
				ToID:       d.idString(tt.m.num, int(to.idx)),
			})
		})
		if err != nil {
			return err
		}
	}
	return nil
}
