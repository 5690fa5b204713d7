package zohosim

// overKey is the key of a relationship override: record index and link number.
func overKey(idx, li int) uint64 { return uint64(idx)<<8 | uint64(li) }

// target returns the record that relationship field li of record idx points at.
// Overrides written by mutations win; otherwise generated records follow the seed and
// records created by mutations have only what their creation stored.
func (d *dataset) target(t *table, idx, li int) ref {
	if len(t.over) > 0 {
		if r, ok := t.over[overKey(idx, li)]; ok {
			return r
		}
	}
	if idx >= t.n0 {
		return nullRef
	}
	return d.baseTarget(t, idx, li)
}

// baseTarget returns the seed's value of relationship field li of record idx.
func (d *dataset) baseTarget(t *table, idx, li int) ref {
	l := t.m.links[li].link
	h := key2(t.recHash(idx), uint64(500+li))
	switch {
	case l.all:
		u := d.users()
		return ref{tab: int16(u.no), idx: int32(pick(h, u.n0))}
	case l.self:
		if idx == 0 || t.spread[li].at(idx-1) >= l.count*d.scale {
			return nullRef
		}
		return ref{tab: int16(t.no), idx: int32(pick(h, idx))}
	case t.spread[li].at(idx) >= l.count*d.scale:
		return nullRef
	}
	tt := d.byAPI[l.targets[pick(h, len(l.targets))]]
	return ref{tab: int16(tt.no), idx: int32(pick(mix(h), tt.n0))}
}

// appendLink appends the JSON value of relationship field f of a row: the target's
// name and id, plus the extras its shape carries. coql gives COQL's {"id"} form.
func (d *dataset) appendLink(b []byte, r *row, f *field, coql bool) []byte {
	to := d.target(r.t, r.idx, f.li)
	if to.isNull() {
		b = append(b, "null"...)
		if f.link.shape == shapeWhat && !coql {
			b = append(b, `,"$se_module":null`...)
		}
		return b
	}
	tt := d.tables[to.tab]
	if coql {
		b = append(b, `{"id":`...)
		b = d.appendID(b, tt.m.num, int(to.idx))
		return append(b, '}')
	}
	b = append(b, `{"name":`...)
	b = d.appendName(b, tt, int(to.idx))
	b = append(b, `,"id":`...)
	b = d.appendID(b, tt.m.num, int(to.idx))
	switch f.link.shape {
	case shapeOwner:
		b = append(b, `,"email":`...)
		b = d.appendUserEmail(b, int(to.idx))
		b = append(b, '}')
	case shapeWhat:
		b = append(b, `},"$se_module":"`...)
		b = append(b, tt.m.api...)
		b = append(b, '"')
	case shapeParent:
		b = append(b, `,"module":{"api_name":"`...)
		b = append(b, tt.m.api...)
		b = append(b, `","id":`...)
		b = d.appendID(b, numModuleMeta, tt.m.num)
		b = append(b, "}}"...)
	default:
		b = append(b, '}')
	}
	return b
}

// appendName appends the quoted display name of a record: a user's full name or the
// value of the module's name field. Names never change, so lookups stay stable.
func (d *dataset) appendName(b []byte, t *table, idx int) []byte {
	if t.no == 0 {
		return d.appendUserName(b, idx)
	}
	r := d.row(t, idx, true)
	return d.appendValue(b, &r, t.m.name)
}

// Link is one relationship value: record FromID of FromModule has field Field pointing
// at record ToID of ToModule ("Users" for Owner).
type Link struct {
	FromModule string `json:"from_module"`
	FromID     string `json:"from_id"`
	Field      string `json:"field"`
	ToModule   string `json:"to_module"`
	ToID       string `json:"to_id"`
}

// eachLink calls fn for every non-null relationship value of the live records of t.
func (d *dataset) eachLink(t *table, fn func(idx, li int, to ref) error) error {
	for idx := range t.size() {
		if t.gone[idx] {
			continue
		}
		for li := range t.m.links {
			if to := d.target(t, idx, li); !to.isNull() {
				if err := fn(idx, li, to); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
