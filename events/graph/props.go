package graph

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"
)

// Errors of the property mapping. A record that fails with one of them can
// never be mapped as it is: a loader sends it to the dead-letter subject.
var (
	// ErrBadBody means a record body is not a well-formed JSON object.
	ErrBadBody = errors.New("record body is not a well-formed JSON object")
	// ErrBadField means a field name cannot be a property key: it is empty,
	// longer than MaxKeyLen, holds a control character, or starts with '_',
	// which is reserved for bookkeeping properties.
	ErrBadField = errors.New("field name cannot be a property key")
	// ErrBadID means a record body's id is not a string.
	ErrBadID = errors.New("record id is not a string")
	// ErrPropertyClash means two fields of one record map to the same
	// property key (a field Owner_id beside a lookup Owner, for example).
	ErrPropertyClash = errors.New("two fields map to the same property")
)

// Suffixes of the properties a lookup field becomes: Account_Name, a
// {"name": ..., "id": ...} object, gives Account_Name_id and
// Account_Name_name, and every other scalar member m gives
// Account_Name_m.
const (
	LookupIDSuffix     = "_id"
	LookupNameSuffix   = "_name"
	LookupModuleSuffix = "_module"
)

// MaxKeyLen bounds a property key, in bytes.
const MaxKeyLen = 255

// MetaPrefix starts the names of Zoho's record metadata ($approval,
// $state, $se_module ...).
const MetaPrefix = "$"

// Mapping turns a record body, the JSON object Zoho returned, into node
// properties. It is the one place that decides how a record looks in the
// graph; the loader, the relinker and future Neo4j sinks share it, so a
// changed rule is applied by replaying the stream.
//
// The rules, field by field:
//   - strings stay strings, except that a strict YYYY-MM-DD becomes a Neo4j
//     Date and an RFC 3339 date-time (Zoho's 2024-05-01T10:00:00+05:30)
//     becomes a Neo4j DateTime that keeps its offset (one Neo4j cannot
//     store, beyond 18 hours, stays a string);
//   - integers become int64, other numbers float64, booleans bool;
//   - null stays null, so that SET n += props removes a property whose field
//     became empty; a null field F also clears F_id and F_name, because a
//     lookup that became empty arrives as a plain null;
//   - a lookup (an object with a string "id" and otherwise scalar members,
//     plus Notes' module object) becomes F_id, F_name, one F_m per further
//     scalar member, and F_module from module.api_name;
//   - an array of strings, of numbers or of booleans (a multi-select
//     picklist) becomes a list; Neo4j lists are homogeneous, so an array
//     mixing integers and decimals becomes a list of float64;
//   - anything else nested (subforms, line items, tags, $approval, arrays
//     of objects or holding nulls) becomes its compact JSON text, so that
//     nothing is dropped silently;
//   - fields starting with MetaPrefix are dropped unless KeepMeta is set.
//
// The record's "id" must be a string; it is returned under PropID.
// Property keys travel only inside parameter maps and never reach Cypher
// text, so any field name that passes the ErrBadField checks is safe.
//
// A text field whose value happens to look exactly like a date becomes a
// date. TODO(loader): use the module schema (crm.schema.<source>.<module>)
// to type fields by their Zoho data type instead of by their shape?
type Mapping struct {
	// KeepMeta keeps Zoho's $-prefixed metadata fields as properties under
	// their own names; by default they are dropped.
	KeepMeta bool
}

// Properties maps a record body to node properties. The result holds the
// record's id under PropID and no bookkeeping properties; the caller adds
// those.
func (m Mapping) Properties(body []byte) (map[string]any, error) {
	d := decoder{scanner: scanner{b: body}, keepMeta: m.KeepMeta}
	props, err := d.record()
	if err != nil {
		return nil, err
	}
	return props, nil
}

// ValidKey reports whether a field name may be used as a property key.
// Names starting with '_' are reserved for bookkeeping.
func ValidKey(key string) bool {
	if key == "" || len(key) > MaxKeyLen || key[0] == '_' {
		return false
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// decoder maps one record body.
type decoder struct {
	scanner
	keepMeta bool
	// mem remembers repeated strings and values; nil for a plain Mapping.
	mem   *Mapper
	props map[string]any
	// members is the buffer lookup reads an object's members into.
	members []member
	// cleared holds the F_id and F_name keys of null fields F; they are
	// set to null at the end unless a real field already set them.
	cleared []string
}

// record reads the top-level object.
func (d *decoder) record() (map[string]any, error) {
	d.ws()
	if !d.consume('{') {
		return nil, d.errorf("want '{' at offset %d", d.i)
	}
	if d.props == nil {
		size := 64
		if d.mem != nil {
			size = d.mem.size
		}
		d.props = make(map[string]any, size)
	}
	d.ws()
	if !d.consume('}') {
		if err := d.fields(); err != nil {
			return nil, err
		}
	}
	d.ws()
	if d.i != len(d.b) {
		return nil, d.errorf("trailing data at offset %d", d.i)
	}
	return d.finish()
}

// fields reads the members of the top-level object up to its '}'.
func (d *decoder) fields() error {
	for {
		d.ws()
		key, err := d.key()
		if err != nil {
			return err
		}
		d.ws()
		if !d.consume(':') {
			return d.errorf("want ':' after %q", key)
		}
		d.ws()
		if err := d.field(key); err != nil {
			return err
		}
		d.ws()
		if d.consume(',') {
			continue
		}
		if d.consume('}') {
			return nil
		}
		return d.errorf("want ',' or '}' after field %q", key)
	}
}

// finish clears the lookup keys of null fields.
func (d *decoder) finish() (map[string]any, error) {
	for _, k := range d.cleared {
		if _, ok := d.props[k]; !ok {
			d.props[k] = nil
		}
	}
	return d.props, nil
}

// field maps one top-level field whose value starts at the cursor.
func (d *decoder) field(key string) error {
	meta := strings.HasPrefix(key, MetaPrefix)
	if meta && !d.keepMeta {
		_, err := d.skip(0)
		return err
	}
	if d.i >= len(d.b) {
		return d.errorf("value of %q missing", key)
	}
	if key == PropID {
		return d.id()
	}
	if !ValidKey(key) {
		return fmt.Errorf("field %q: %w", key, ErrBadField)
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return d.object(key)
	case c == '[':
		v, err := d.array()
		if err != nil {
			return err
		}
		return d.set(key, v)
	case c == 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
		if !meta {
			d.cleared = append(d.cleared, d.join(key, "id"), d.join(key, "name"))
		}
		return d.set(key, nil)
	case c == '"':
		v, err := d.stringValue(true)
		if err != nil {
			return err
		}
		return d.set(key, v)
	}
	v, err := d.scalar()
	if err != nil {
		return err
	}
	return d.set(key, v)
}

// key reads a field name.
func (d *decoder) key() (string, error) {
	if d.mem == nil {
		return d.str()
	}
	b, err := d.strBytes()
	if err != nil {
		return "", err
	}
	return d.mem.key(b), nil
}

// join returns field + "_" + member.
func (d *decoder) join(field, member string) string {
	if d.mem == nil {
		return field + "_" + member
	}
	return d.mem.join(field, member)
}

// stringValue reads a string value, typed (see typedString) or not.
func (d *decoder) stringValue(typed bool) (any, error) {
	b, err := d.strBytes()
	if err != nil {
		return nil, err
	}
	if typed {
		return typedString(string(b)), nil
	}
	return string(b), nil
}

// id reads the record's id, which must be a string.
func (d *decoder) id() error {
	if d.b[d.i] != '"' {
		raw, err := d.skip(0)
		if err != nil {
			return err
		}
		return fmt.Errorf("id %s: %w", raw, ErrBadID)
	}
	s, err := d.str()
	if err != nil {
		return err
	}
	return d.set(PropID, s)
}

// set stores a property, refusing a key that is already set.
func (d *decoder) set(key string, v any) error {
	if _, dup := d.props[key]; dup {
		return fmt.Errorf("property %q: %w", key, ErrPropertyClash)
	}
	d.props[key] = v
	return nil
}

// member is one scalar member of a nested object.
type member struct {
	key string
	val any
}

// object maps a nested object: a lookup becomes flat properties, anything
// else its JSON text.
func (d *decoder) object(key string) error {
	start := d.i
	members, module, ok, err := d.lookup()
	if err != nil {
		return err
	}
	if !ok {
		d.i = start
		raw, err := d.skip(0)
		if err != nil {
			return err
		}
		return d.set(key, jsonText(raw))
	}
	for _, mb := range members {
		if err := d.set(d.join(key, mb.key), mb.val); err != nil {
			return err
		}
	}
	if module != "" {
		return d.set(d.join(key, "module"), module)
	}
	return nil
}

// lookup reads an object and reports whether it is a lookup: a string id,
// scalar members whose names are valid keys, and at most a module object
// with a string api_name. It stops early, with ok false, at the first
// member that rules it out; the caller then rereads the object as raw
// JSON. Members keep their JSON types: a lookup's name is never a date.
func (d *decoder) lookup() (members []member, module string, ok bool, err error) {
	d.i++ // '{'
	hasID := false
	members = d.members[:0]
	defer func() { d.members = members[:0] }()
	d.ws()
	if d.consume('}') {
		return nil, "", false, nil
	}
	for {
		d.ws()
		k, err := d.key()
		if err != nil {
			return nil, "", false, err
		}
		if !ValidKey(k) {
			return nil, "", false, nil
		}
		d.ws()
		if !d.consume(':') {
			return nil, "", false, d.errorf("want ':' after %q", k)
		}
		d.ws()
		if d.i >= len(d.b) {
			return nil, "", false, d.errorf("value of %q missing", k)
		}
		switch c := d.b[d.i]; {
		case c == '{' && k == "module" && module == "":
			module, err = d.moduleName()
			if err != nil || module == "" {
				return nil, "", false, err
			}
		case c == '{' || c == '[':
			return nil, "", false, nil
		case c == 'n':
			if err := d.literal("null"); err != nil {
				return nil, "", false, err
			}
			members = append(members, member{key: k})
		case c == '"':
			v, err := d.stringValue(false)
			if err != nil {
				return nil, "", false, err
			}
			if k == PropID {
				hasID = true
			}
			members = append(members, member{key: k, val: v})
		default:
			v, err := d.scalar()
			if err != nil {
				return nil, "", false, err
			}
			if k == PropID {
				_, hasID = v.(string)
			}
			members = append(members, member{key: k, val: v})
		}
		d.ws()
		if d.consume(',') {
			continue
		}
		if d.consume('}') {
			return members, module, hasID, nil
		}
		return nil, "", false, d.errorf("want ',' or '}' in object at offset %d", d.i)
	}
}

// moduleName reads Notes' {"api_name": "Deals", "id": ...} and returns the
// api_name, or "" when the object has another shape.
func (d *decoder) moduleName() (string, error) {
	start := d.i
	d.i++ // '{'
	name := ""
	d.ws()
	if d.consume('}') {
		return "", nil
	}
	for {
		d.ws()
		k, err := d.str()
		if err != nil {
			return "", err
		}
		d.ws()
		if !d.consume(':') {
			return "", d.errorf("want ':' after %q", k)
		}
		d.ws()
		if d.i < len(d.b) && (d.b[d.i] == '{' || d.b[d.i] == '[') {
			d.i = start
			return "", nil
		}
		v, err := d.scalar()
		if err != nil {
			return "", err
		}
		if s, ok := v.(string); ok && k == "api_name" {
			name = s
		}
		d.ws()
		if d.consume(',') {
			continue
		}
		if d.consume('}') {
			return name, nil
		}
		return "", d.errorf("want ',' or '}' in object at offset %d", d.i)
	}
}

// array maps an array: a homogeneous list of strings, numbers or booleans
// becomes a Go slice, anything else its JSON text.
func (d *decoder) array() (any, error) {
	start := d.i
	d.i++ // '['
	var (
		strs   []string
		ints   []int64
		floats []float64
		bools  []bool
		kinds  int // bit set of the element kinds seen
	)
	const (
		kString = 1 << iota
		kInt
		kFloat
		kBool
		kOther
	)
	d.ws()
	for !d.consume(']') {
		d.ws()
		if d.i >= len(d.b) {
			return nil, d.errorf("unterminated array at offset %d", start)
		}
		switch c := d.b[d.i]; {
		case c == '{' || c == '[' || c == 'n':
			if _, err := d.skip(0); err != nil {
				return nil, err
			}
			kinds |= kOther
		default:
			v, err := d.scalar()
			if err != nil {
				return nil, err
			}
			switch v := v.(type) {
			case string:
				strs = append(strs, v)
				kinds |= kString
			case int64:
				ints = append(ints, v)
				floats = append(floats, float64(v))
				kinds |= kInt
			case float64:
				floats = append(floats, v)
				kinds |= kFloat
			case bool:
				bools = append(bools, v)
				kinds |= kBool
			}
		}
		d.ws()
		if d.consume(',') {
			if d.ws(); d.i < len(d.b) && d.b[d.i] == ']' {
				return nil, d.errorf("trailing comma in array at offset %d", d.i)
			}
			continue
		}
		if d.i >= len(d.b) || d.b[d.i] != ']' {
			return nil, d.errorf("want ',' or ']' in array at offset %d", d.i)
		}
	}
	switch kinds {
	case 0, kString:
		if strs == nil {
			strs = []string{}
		}
		return strs, nil
	case kInt:
		return ints, nil
	case kFloat, kInt | kFloat:
		return floats, nil
	case kBool:
		return bools, nil
	}
	return jsonText(d.b[start:d.i]), nil
}

// typedString turns Zoho's date and date-time strings into Neo4j temporal
// values and returns any other string as it is. The shape is checked byte
// by byte first, so ordinary text costs a few comparisons.
func typedString(s string) any {
	switch {
	case len(s) == 10 && isDateShape(s):
		if t, ok := parseDate(s); ok {
			return dbtype.Date(t)
		}
	case len(s) >= 20 && s[10] == 'T' && isDateShape(s[:10]) && isClockShape(s[11:19]):
		if t, ok := parseDateTime(s); ok {
			return t
		}
	}
	return s
}

// parseDate reads a date already checked by isDateShape; it refuses days
// that do not exist (2024-02-30).
func parseDate(s string) (time.Time, bool) {
	y, m, d := atoi(s[0:4]), atoi(s[5:7]), atoi(s[8:10])
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || t.Day() != d || t.Month() != time.Month(m) {
		return time.Time{}, false
	}
	return t, true
}

// parseDateTime reads an RFC 3339 date-time whose first 19 bytes were
// checked by isDateShape and isClockShape: optional fractional seconds,
// then Z or an offset. It is time.Parse(time.RFC3339Nano) without the
// allocation of a new zone per value; anything it does not accept falls
// back to time.Parse.
func parseDateTime(s string) (time.Time, bool) {
	date, ok := parseDate(s[:10])
	if !ok {
		return time.Time{}, false
	}
	hh, mm, ss := atoi(s[11:13]), atoi(s[14:16]), atoi(s[17:19])
	if hh > 23 || mm > 59 || ss > 59 {
		return time.Time{}, false
	}
	rest, nanos := s[19:], 0
	if rest[0] == '.' {
		i := 1
		for scale := 100_000_000; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			nanos += int(rest[i]-'0') * scale
			scale /= 10
		}
		if i == 1 || i > 10 {
			return fallbackDateTime(s)
		}
		rest = rest[i:]
	}
	off := 0
	switch {
	case rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
		isDigits(rest[1:3]) && isDigits(rest[4:6]):
		oh, om := atoi(rest[1:3]), atoi(rest[4:6])
		off = oh*3600 + om*60
		if om > 59 || off > maxOffset {
			return fallbackDateTime(s)
		}
		if rest[0] == '-' {
			off = -off
		}
	default:
		return fallbackDateTime(s)
	}
	y, mo, d := date.Date()
	return time.Date(y, mo, d, hh, mm, ss, nanos, offsetZone(off)), true
}

func fallbackDateTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	if _, off := t.Zone(); off > maxOffset || off < -maxOffset {
		return time.Time{}, false
	}
	return Offset(t), true
}

// maxOffset is the largest UTC offset Neo4j stores, in seconds (18 hours).
const maxOffset = 18 * 3600

// atoi reads digits already checked.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isDateShape reports whether s is ten bytes shaped like 2024-05-01.
func isDateShape(s string) bool {
	for i := 0; i < 10; i++ {
		c := s[i]
		if i == 4 || i == 7 {
			if c != '-' {
				return false
			}
		} else if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isClockShape reports whether s is eight bytes shaped like 10:30:00.
func isClockShape(s string) bool {
	for i := 0; i < 8; i++ {
		c := s[i]
		if i == 2 || i == 5 {
			if c != ':' {
				return false
			}
		} else if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// offsetZones caches one fixed zone per UTC offset, in seconds.
var offsetZones sync.Map

// Offset returns t in a fixed zone named "Offset" with t's UTC offset. The
// Neo4j driver sends such a time as a DateTime with that offset; a time in
// a zone without a name (what time.Parse returns for "+05:30") would be
// sent with an empty zone name, which the server refuses.
func Offset(t time.Time) time.Time {
	_, off := t.Zone()
	return t.In(offsetZone(off))
}

// offsetZone returns the zone "Offset" of a UTC offset in seconds.
func offsetZone(off int) *time.Location {
	z, ok := offsetZones.Load(off)
	if !ok {
		z, _ = offsetZones.LoadOrStore(off, time.FixedZone("Offset", off))
	}
	return z.(*time.Location)
}
