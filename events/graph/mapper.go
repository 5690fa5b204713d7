package graph

import "sync"

// maxKeys bounds a Mapper's memory: when a table fills up it is emptied
// and refilled from the records that follow.
const maxKeys = 1 << 13

// Mapper applies a Mapping to many records in a row, remembering the
// property keys that repeat from one record to the next (field names and
// the keys of lookups), sizing each record's map like the one before, and
// reusing the maps its caller hands back with Release. It allocates a
// third as often as the Mapping, and its results are the same. Values are
// not remembered: measured on the simulator's records, the lookups cost
// more than the allocations they save. Properties is not safe for
// concurrent use (use one Mapper per goroutine); Release is.
type Mapper struct {
	m    Mapping
	maps sync.Pool // of map[string]any, empty

	keys   map[string]string
	joined map[[2]string]string
	// size is the last record's number of properties, to size the next map.
	size int
	// members is the decoder's buffer for lookup members.
	members []member
}

// NewMapper returns a Mapper for m.
func (m Mapping) NewMapper() *Mapper {
	return &Mapper{
		m:      m,
		keys:   make(map[string]string, 256),
		joined: make(map[[2]string]string, 256),
		size:   64,
	}
}

// Properties maps a record body like Mapping.Properties.
func (p *Mapper) Properties(body []byte) (map[string]any, error) {
	d := decoder{scanner: scanner{b: body}, keepMeta: p.m.KeepMeta, mem: p, members: p.members}
	if m, ok := p.maps.Get().(map[string]any); ok {
		d.props = m
	}
	props, err := d.record()
	p.members = d.members
	if err != nil {
		return nil, err
	}
	p.size = len(props) // records come module by module: the next is alike
	return props, nil
}

// Release hands back a map that Properties returned, once nothing uses it
// any more, to be emptied and reused for a later record.
func (p *Mapper) Release(props map[string]any) {
	if props == nil {
		return
	}
	clear(props)
	p.maps.Put(props)
}

// key returns the field name b, interned.
func (p *Mapper) key(b []byte) string {
	if k, ok := p.keys[string(b)]; ok {
		return k
	}
	k := string(b)
	if len(p.keys) >= maxKeys {
		clear(p.keys)
	}
	p.keys[k] = k
	return k
}

// join returns field + "_" + member, interned.
func (p *Mapper) join(field, member string) string {
	k := [2]string{field, member}
	if j, ok := p.joined[k]; ok {
		return j
	}
	j := field + "_" + member
	if len(p.joined) >= maxKeys {
		clear(p.joined)
	}
	p.joined[k] = j
	return j
}
