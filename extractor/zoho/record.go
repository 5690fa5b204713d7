package zoho

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/crmgraph/crmgraph/extractor/internal/rawjson"
)

// Member is one field of a record: its API name and its value as raw JSON,
// exactly as Zoho sent it.
type Member = rawjson.Member

// Record is one record as Zoho returned it: its members in the order they
// came, every field group's appended. The values are slices of the page
// they were read from.
type Record struct {
	id      string
	Members []Member
}

// ID returns the record's id.
func (r *Record) ID() string { return r.id }

// Value returns the raw value of a member, the last one when the key came
// more than once.
func (r *Record) Value(key string) ([]byte, bool) {
	for i := len(r.Members) - 1; i >= 0; i-- {
		if r.Members[i].Key == key {
			return r.Members[i].Value, true
		}
	}
	return nil, false
}

// Text returns the text of a string member.
func (r *Record) Text(key string) (string, bool) {
	v, ok := r.Value(key)
	if !ok || len(v) == 0 || v[0] != '"' {
		return "", false
	}
	s, err := rawjson.String(v)
	return s, err == nil
}

// Modified returns the record's Modified_Time, false when it has none or it
// cannot be read.
func (r *Record) Modified() (time.Time, bool) {
	s, ok := r.Text("Modified_Time")
	if !ok {
		return time.Time{}, false
	}
	t, err := ParseTime(s)
	return t, err == nil
}

// AppendCanonical appends the record's canonical JSON (events.CanonicalJSON
// of the record as an object; a key that came twice keeps its last value).
func (r *Record) AppendCanonical(dst []byte) ([]byte, error) {
	return rawjson.AppendCanonicalObject(dst, r.Members)
}

// Decode returns the record as a map, numbers as json.Number.
func (r *Record) Decode() (map[string]any, error) {
	b, err := rawjson.AppendCanonicalObject(nil, r.Members)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("decoding record %s: %w", r.id, err)
	}
	return m, nil
}

// idOf reads an id sent as a string or as a number.
func idOf(v []byte) string {
	if len(v) > 0 && v[0] == '"' {
		s, _ := rawjson.String(v)
		return s
	}
	if len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
		return string(v)
	}
	return ""
}
