package zohosim

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The window the generated history lies in. Records are created between epochStart
// and epochEnd and last modified before epochEnd; users were created in the year
// before epochStart. Mutations stamp records with the clock, which must be later.
var (
	epochStart = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	epochEnd   = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// Id layout: prefix (7 digits) | module number (2 digits) | index (7 digits) | 3 digits.
const (
	idModule = 10_000_000_000
	idIndex  = 1000
	idPrefix = 1_000_000_000_000
)

// Module numbers of id spaces that are not record modules.
const (
	numSubformRow = 40 // + module number: subform rows
	numPrior      = 60 // + module number: records deleted before the dataset starts
	numTag        = 80
	numLayout     = 81
	numModuleMeta = 90
	numFieldMeta  = 91
	numRoleMeta   = 92
)

// ref points at one record: a table number and an index. A null ref has tab < 0.
type ref struct {
	tab int16
	idx int32
}

// nullRef is the value of an empty relationship field.
var nullRef = ref{tab: -1}

// isNull reports whether r is empty.
func (r ref) isNull() bool { return r.tab < 0 }

// deletion is one entry of a module's deleted-records feed.
type deletion struct {
	idx   int32 // record index; for prior deletions an index in the numPrior space
	at    int64 // deleted_time, unix seconds
	by    int32 // user index of deleted_by
	perm  bool  // type "permanent" rather than "recycle"
	prior bool  // deleted before the dataset's history: the id never appears as a record
}

// table holds the small per-record state of one module; record values themselves are
// generated on demand from (seed, module, index, version). Guarded by Sim.mu.
type table struct {
	m      *module
	no     int    // position in dataset.tables
	n0     int    // records generated from the seed (base count x scale)
	hash   uint64 // module hash, from the seed
	mod    []int64
	ver    []uint16
	gone   []bool
	born   []int64 // Created_Time of records created by mutations, index n0 onwards
	live   int
	byMod  []int32 // live records ordered by (Modified_Time, index)
	over   map[uint64]ref
	spread []spread // per relationship field: which records carry a value
	mut    []int    // indexes of the fields an update may change
	feed   []deletion
	meta   []byte // the record-level $ keys, identical for every record
}

// dataset is the simulated organisation: users and record modules.
type dataset struct {
	seed   uint64
	scale  int
	zone   *time.Location
	prefix int64
	tables []*table // tables[0] is Users
	byAPI  map[string]*table
	byNum  map[int]*table
}

// users returns the Users table.
func (d *dataset) users() *table { return d.tables[0] }

// newDataset builds the index of a dataset: modification times, the sorted index and
// the deleted-records feed. It stores no record values.
func newDataset(seed int64, scale int, zone *time.Location) *dataset {
	d := &dataset{
		seed:  mix(uint64(seed) + golden),
		scale: scale,
		zone:  zone,
		byAPI: map[string]*table{},
		byNum: map[int]*table{},
	}
	d.prefix = 1_000_000 + int64(d.seed%8_000_000)
	users := &module{api: usersModule, singular: "User", num: 1, base: usersBase}
	mods := append([]*module{users}, catalogue()...)
	for i, m := range mods {
		finishModule(m)
		t := &table{m: m, no: i, n0: m.base * scale, hash: key2(d.seed, uint64(m.num))}
		d.tables = append(d.tables, t)
		d.byAPI[m.api] = t
		d.byNum[m.num] = t
	}
	for _, t := range d.tables {
		d.initTable(t)
	}
	return d
}

// finishModule indexes a module's fields and precomputes their JSON keys.
func finishModule(m *module) {
	m.byAPI = map[string]*field{}
	for i, f := range m.fields {
		f.idx = i
		f.key = []byte(strconv.Quote(f.api) + ":")
		m.byAPI[f.api] = f
		if f.link != nil {
			f.li = len(m.links)
			m.links = append(m.links, f)
		}
		if f.kind == kCurrency {
			m.currency = true
		}
		switch f.kind {
		case kOwner, kLookup, kUser, kCreatedBy, kModifiedBy, kCreatedTime, kModifiedTime,
			kAutoNumber, kFirstName, kLastName, kFullName, kLayout:
		default:
			f.mutable = true
		}
	}
	for _, api := range []string{"Account_Name", "Full_Name", "Deal_Name", "Campaign_Name",
		"Product_Name", "Subject", "Event_Title", "Note_Title", "Name", "Vendor_Name"} {
		if f := m.byAPI[api]; f != nil && f.link == nil && m.name == nil {
			m.name = f
			f.mutable = false
		}
	}
}

// initTable computes the generated records' modification times and the feed of
// records deleted before the dataset's history.
func (d *dataset) initTable(t *table) {
	t.mod = make([]int64, t.n0)
	t.ver = make([]uint16, t.n0)
	t.gone = make([]bool, t.n0)
	t.over = map[uint64]ref{}
	t.live = t.n0
	for i := range t.n0 {
		t.mod[i] = d.baseModified(t, i)
	}
	t.byMod = make([]int32, t.n0)
	for i := range t.byMod {
		t.byMod[i] = int32(i)
	}
	slices.SortFunc(t.byMod, t.cmpMod)
	for li, f := range t.m.links {
		n := t.n0
		if f.link.self {
			n--
		}
		t.spread = append(t.spread, newSpread(key2(t.hash, uint64(1000+li)), n))
	}
	for _, f := range t.m.fields {
		if f.mutable {
			t.mut = append(t.mut, f.idx)
		}
	}
	t.meta = recordMeta(t.m)
	if t.no > 0 {
		t.feed = d.priorDeletions(t)
	}
}

// cmpMod orders record indexes by (Modified_Time, index).
func (t *table) cmpMod(a, b int32) int {
	if c := cmp.Compare(t.mod[a], t.mod[b]); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// size reports how many record indexes t has used, deleted ones included.
func (t *table) size() int { return len(t.mod) }

// recHash returns the hash every value of record idx derives from.
func (t *table) recHash(idx int) uint64 { return key2(t.hash, uint64(idx)) }

// created returns record idx's Created_Time in unix seconds. Generated records are
// spread evenly over the history in index order, so Created_Time order is id order.
func (d *dataset) created(t *table, idx int) int64 {
	if idx >= t.n0 {
		return t.born[idx-t.n0]
	}
	start, span := epochStart, epochEnd-epochStart
	if t.no == 0 {
		start, span = epochStart-365*86400, 360*86400
	}
	step := max(span/int64(t.n0), 1)
	return start + int64(idx)*step + int64(key2(t.recHash(idx), 7)%uint64(step))
}

// baseModified returns a generated record's Modified_Time. Some records were never
// edited, some were touched by mass updates that share one second, the rest were
// edited some time after their creation.
func (d *dataset) baseModified(t *table, idx int) int64 {
	c := d.created(t, idx)
	h := key2(t.recHash(idx), 8)
	limit := epochEnd - 1
	if t.no == 0 {
		limit = epochStart - 1
	}
	switch r := h % 100; {
	case r < 12:
		return c
	case r < 27:
		batch := epochStart + int64(1+pick(mix(h), 24))*(epochEnd-epochStart)/25
		if batch >= c && batch <= limit {
			return batch
		}
	}
	room := min(limit-c, 400*86400)
	if room <= 0 {
		return c
	}
	return c + int64(mix(h)%uint64(room))
}

// priorDeletions returns the deleted-records feed an organisation has before the
// simulation starts: 0.5% of the module's size, deleted in the 60 days before
// epochEnd, three in ten permanently. Their ids never appear as records.
func (d *dataset) priorDeletions(t *table) []deletion {
	n := t.n0 / 200
	feed := make([]deletion, 0, n)
	for i := range n {
		h := key2(t.hash, uint64(1<<40+i))
		feed = append(feed, deletion{
			idx:   int32(i),
			at:    epochEnd - 86400 - int64(h%(59*86400)),
			by:    int32(pick(mix(h), d.users().n0)),
			perm:  h%10 < 3,
			prior: true,
		})
	}
	slices.SortFunc(feed, func(a, b deletion) int { return cmp.Compare(a.at, b.at) })
	return feed
}

// id returns the 19-digit id of index idx in id space num.
func (d *dataset) id(num, idx int) int64 {
	base := d.prefix*idPrefix + int64(num)*idModule + int64(idx)*idIndex
	return base + int64(key2(d.seed, uint64(num)<<32|uint64(idx))%idIndex)
}

// appendID appends the quoted id of index idx in id space num.
func (d *dataset) appendID(b []byte, num, idx int) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, d.id(num, idx), 10)
	return append(b, '"')
}

// idString returns the id of index idx in id space num as a string.
func (d *dataset) idString(num, idx int) string {
	return strconv.FormatInt(d.id(num, idx), 10)
}

// parseID returns the id space and index of a record id.
func (d *dataset) parseID(s string) (num, idx int, err error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("parsing record id %q: %w", s, err)
	}
	rest := v - d.prefix*idPrefix
	if rest < 0 || rest >= 100*idModule {
		return 0, 0, fmt.Errorf("record id %q: %w", s, errUnknownID)
	}
	num, idx = int(rest/idModule), int(rest%idModule/idIndex)
	if d.id(num, idx) != v {
		return 0, 0, fmt.Errorf("record id %q: %w", s, errUnknownID)
	}
	return num, idx, nil
}

// record returns the table and index of a live record id of module t, or false.
func (d *dataset) lookupID(t *table, s string) (int, bool) {
	num, idx, err := d.parseID(s)
	if err != nil || num != t.m.num || idx >= t.size() || t.gone[idx] {
		return 0, false
	}
	return idx, true
}

// appendTime appends a quoted timestamp in the organisation's offset, to the second.
func (d *dataset) appendTime(b []byte, unix int64) []byte {
	b = append(b, '"')
	b = time.Unix(unix, 0).In(d.zone).AppendFormat(b, timeLayout)
	return append(b, '"')
}

// formatTime formats a timestamp in the organisation's offset.
func (d *dataset) formatTime(t time.Time) string {
	return t.In(d.zone).Format(timeLayout)
}

// timeLayout is Zoho's timestamp format: RFC 3339 to the second, always with a
// numeric offset (never "Z").
const timeLayout = "2006-01-02T15:04:05-07:00"

// timeOf returns unix seconds as a time.
func timeOf(unix int64) time.Time { return time.Unix(unix, 0) }
