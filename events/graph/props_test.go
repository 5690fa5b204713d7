package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"
)

// sampleBody is a Deals record shaped like Zoho's v8 answer.
const sampleBody = `{
 "id": "3652397000000624001",
 "Deal_Name": "Strategic renewal #4821",
 "Amount": 1500.5,
 "Probability": 40,
 "Closing_Date": "2024-06-30",
 "Modified_Time": "2024-05-01T10:15:30+05:30",
 "Created_Time": "2023-01-02T03:04:05Z",
 "Won": false,
 "Description": null,
 "Owner": {"name": "Mary Smith", "id": "3652397000000186017", "email": "mary@zylker.com"},
 "Account_Name": {"name": "Zylker 12", "id": "3652397000000251001"},
 "Contact_Name": null,
 "Parent_Id": {"name": "Deal 1", "id": "3652397000000624007",
   "module": {"api_name": "Deals", "id": "3652397000000002181"}},
 "Layout": {"name": "Standard", "id": "3652397000000091055"},
 "Tag": [{"name": "VIP", "id": "3652397000000120001", "color_code": "#F17574"}],
 "Regions": ["Europe", "Asia"],
 "Scores": [1, 2.5],
 "Counts": [1, 2, 3],
 "Flags": [true, false],
 "Empty": [],
 "Mixed": ["a", 1],
 "Holes": ["a", null],
 "Line_Items": [{"id": "1", "Quantity": 2}],
 "Remind_At": {"ALARM": "FREQ=NONE"},
 "Text_Date_Like": "2024-13-45",
 "Note": "quote \" backslash \\ tab \t snowman \u2603 pair \ud83d\ude80",
 "$approval": {"delegate": false},
 "$state": "save",
 "$se_module": "Accounts"
}`

func TestPropertiesSample(t *testing.T) {
	props, err := Mapping{}.Properties([]byte(sampleBody))
	if err != nil {
		t.Fatalf("Properties: %v", err)
	}
	ist := time.FixedZone("Offset", 5*3600+30*60)
	want := map[string]any{
		"id":                "3652397000000624001",
		"Deal_Name":         "Strategic renewal #4821",
		"Amount":            1500.5,
		"Probability":       int64(40),
		"Closing_Date":      dbtype.Date(time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)),
		"Modified_Time":     time.Date(2024, 5, 1, 10, 15, 30, 0, ist),
		"Created_Time":      time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC),
		"Won":               false,
		"Description":       nil,
		"Description_id":    nil,
		"Description_name":  nil,
		"Owner_id":          "3652397000000186017",
		"Owner_name":        "Mary Smith",
		"Owner_email":       "mary@zylker.com",
		"Account_Name_id":   "3652397000000251001",
		"Account_Name_name": "Zylker 12",
		"Contact_Name":      nil,
		"Contact_Name_id":   nil,
		"Contact_Name_name": nil,
		"Parent_Id_id":      "3652397000000624007",
		"Parent_Id_name":    "Deal 1",
		"Parent_Id_module":  "Deals",
		"Layout_id":         "3652397000000091055",
		"Layout_name":       "Standard",
		"Tag":               `[{"name":"VIP","id":"3652397000000120001","color_code":"#F17574"}]`,
		"Regions":           []string{"Europe", "Asia"},
		"Scores":            []float64{1, 2.5},
		"Counts":            []int64{1, 2, 3},
		"Flags":             []bool{true, false},
		"Empty":             []string{},
		"Mixed":             `["a",1]`,
		"Holes":             `["a",null]`,
		"Line_Items":        `[{"id":"1","Quantity":2}]`,
		"Remind_At":         `{"ALARM":"FREQ=NONE"}`,
		"Text_Date_Like":    "2024-13-45",
		"Note":              "quote \" backslash \\ tab \t snowman \u2603 pair \U0001F680",
	}
	for k, w := range want {
		g, ok := props[k]
		if !ok {
			t.Errorf("property %s missing", k)
			continue
		}
		if !sameValue(g, w) {
			t.Errorf("property %s = %#v (%T), want %#v (%T)", k, g, g, w, w)
		}
	}
	for k := range props {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected property %s = %#v", k, props[k])
		}
	}
}

// sameValue compares mapped values, times by instant and offset.
func sameValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		_, oa := ta.Zone()
		_, ob := tb.Zone()
		return ok && ta.Equal(tb) && oa == ob
	}
	return reflect.DeepEqual(a, b)
}

func TestPropertiesKeepMeta(t *testing.T) {
	props, err := Mapping{KeepMeta: true}.Properties([]byte(sampleBody))
	if err != nil {
		t.Fatalf("Properties: %v", err)
	}
	for k, w := range map[string]any{
		"$approval":  `{"delegate":false}`,
		"$state":     "save",
		"$se_module": "Accounts",
	} {
		if g := props[k]; !reflect.DeepEqual(g, w) {
			t.Errorf("property %s = %#v, want %#v", k, g, w)
		}
	}
}

func TestPropertiesOffsetZone(t *testing.T) {
	props, err := Mapping{}.Properties([]byte(`{"id":"1","T":"2024-05-01T10:15:30-07:00"}`))
	if err != nil {
		t.Fatal(err)
	}
	ts := props["T"].(time.Time)
	if name, off := ts.Zone(); name != "Offset" || off != -7*3600 {
		t.Errorf("zone = %s %d, want Offset -25200 (the driver needs that name)", name, off)
	}
}

func TestPropertiesErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want error
	}{
		{"not an object", `["a"]`, ErrBadBody},
		{"empty input", ``, ErrBadBody},
		{"truncated", `{"id":"1","A":"x`, ErrBadBody},
		{"trailing data", `{"id":"1"} {}`, ErrBadBody},
		{"missing colon", `{"id" "1"}`, ErrBadBody},
		{"bad literal", `{"id":"1","A":nul}`, ErrBadBody},
		{"bad number", `{"id":"1","A":01}`, ErrBadBody},
		{"bad escape", `{"id":"1","A":"\x"}`, ErrBadBody},
		{"raw control character", "{\"id\":\"1\",\"A\":\"a\nb\"}", ErrBadBody},
		{"too deep", `{"id":"1","A":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`,
			ErrBadBody},
		{"numeric id", `{"id":1}`, ErrBadID},
		{"object id", `{"id":{"id":"1"}}`, ErrBadID},
		{"reserved key", `{"id":"1","_seq":5}`, ErrBadField},
		{"empty key", `{"id":"1","":5}`, ErrBadField},
		{"control character in key", `{"id":"1","a\u0001b":5}`, ErrBadField},
		{"lookup clash", `{"id":"1","Owner":{"id":"2","name":"x"},"Owner_id":"3"}`,
			ErrPropertyClash},
		{"duplicate key", `{"id":"1","A":1,"A":2}`, ErrPropertyClash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Mapping{}.Properties([]byte(tt.body))
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			var syntax *json.SyntaxError
			if errors.As(err, &syntax) {
				t.Fatalf("error leaks encoding/json type: %v", err)
			}
		})
	}
}

// TestPropertiesHostileKeys shows that field names that would break Cypher
// text are kept as plain map keys: they only ever travel as parameters.
func TestPropertiesHostileKeys(t *testing.T) {
	keys := []string{"a`b", "x' OR 1=1 //", "}) DETACH DELETE n //", "with space",
		"Ünïcödé_名前", "{braces}", `back\slash`, "$(label)"}
	obj := map[string]any{"id": "1"}
	for i, k := range keys {
		obj[k] = i
	}
	body, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	props, err := Mapping{}.Properties(body)
	if err != nil {
		t.Fatalf("Properties: %v", err)
	}
	for i, k := range keys {
		if strings.HasPrefix(k, MetaPrefix) {
			if _, ok := props[k]; ok {
				t.Errorf("metadata key %q kept", k)
			}
			continue
		}
		if props[k] != int64(i) {
			t.Errorf("key %q = %#v, want %d", k, props[k], i)
		}
	}
}

func TestValidKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"Last_Name", true},
		{"名前", true},
		{"a b", true},
		{"a`b", true},
		{"", false},
		{"_seq", false},
		{"a\tb", false},
		{"a\x7fb", false},
		{"bad\xffutf8", false},
		{strings.Repeat("x", MaxKeyLen), true},
		{strings.Repeat("x", MaxKeyLen+1), false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.key), func(t *testing.T) {
			if got := ValidKey(tt.key); got != tt.want {
				t.Errorf("ValidKey(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

// reference maps a body with encoding/json, following the rules of
// Mapping written out the slow way. The fuzz test holds the scanner to it.
func reference(body []byte, keepMeta bool) (map[string]any, error) {
	if !json.Valid(body) {
		return nil, ErrBadBody
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var top any
	if err := d.Decode(&top); err != nil {
		return nil, ErrBadBody
	}
	obj, ok := top.(map[string]any)
	if !ok || hasRangeErr(obj) {
		return nil, ErrBadBody
	}
	props := map[string]any{}
	var cleared []string
	for k, v := range obj {
		if strings.HasPrefix(k, MetaPrefix) && !keepMeta {
			continue
		}
		if k == PropID {
			s, ok := v.(string)
			if !ok {
				return nil, ErrBadID
			}
			props[k] = s
			continue
		}
		if !ValidKey(k) {
			return nil, ErrBadField
		}
		switch v := v.(type) {
		case nil:
			props[k] = nil
			if !strings.HasPrefix(k, MetaPrefix) {
				cleared = append(cleared, k+LookupIDSuffix, k+LookupNameSuffix)
			}
		case string:
			props[k] = refTyped(v)
		case json.Number:
			props[k] = refNumber(v)
		case bool:
			props[k] = v
		case []any:
			props[k] = refArray(v)
		case map[string]any:
			if flat, ok := refLookup(k, v); ok {
				for fk, fv := range flat {
					if _, dup := props[fk]; dup {
						return nil, ErrPropertyClash
					}
					props[fk] = fv
				}
			} else {
				props[k] = v // compared as JSON
			}
		}
	}
	for _, k := range cleared {
		if _, ok := props[k]; !ok {
			props[k] = nil
		}
	}
	return props, nil
}

// refTyped types a string with time.Parse, as the mapping promises.
func refTyped(s string) any {
	shaped := func(s string) bool {
		for i := 0; i < 10; i++ {
			if (i == 4 || i == 7) != (s[i] == '-') || (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) {
				return false
			}
		}
		return true
	}
	switch {
	case len(s) == 10 && shaped(s):
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return dbtype.Date(t)
		}
	case len(s) >= 20 && s[10] == 'T' && shaped(s) && isClockShape(s[11:19]):
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			if _, off := t.Zone(); off >= -18*3600 && off <= 18*3600 {
				return Offset(t)
			}
		}
	}
	return s
}

// refNumber converts a number like the mapping; one out of float64's
// range is refused by both (rangeErr reports it).
func refNumber(n json.Number) any {
	if !strings.ContainsAny(string(n), ".eE") {
		if i, err := n.Int64(); err == nil {
			return i
		}
	}
	f, err := n.Float64()
	if err != nil {
		return rangeErr{}
	}
	return f
}

type rangeErr struct{}

// hasRangeErr reports whether a decoded value holds an out-of-range number.
func hasRangeErr(v any) bool {
	switch v := v.(type) {
	case json.Number:
		_, bad := refNumber(v).(rangeErr)
		return bad
	case []any:
		for _, e := range v {
			if hasRangeErr(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if hasRangeErr(e) {
				return true
			}
		}
	}
	return false
}

func refArray(v []any) any {
	var strs []string
	var ints []int64
	var floats []float64
	var bools []bool
	kinds := map[string]bool{}
	for _, e := range v {
		switch e := e.(type) {
		case string:
			strs = append(strs, e)
			kinds["s"] = true
		case json.Number:
			switch n := refNumber(e).(type) {
			case int64:
				ints = append(ints, n)
				floats = append(floats, float64(n))
				kinds["i"] = true
			case float64:
				floats = append(floats, n)
				kinds["f"] = true
			}
		case bool:
			bools = append(bools, e)
			kinds["b"] = true
		default:
			kinds["o"] = true
		}
	}
	switch {
	case len(kinds) == 0:
		return []string{}
	case len(kinds) == 1 && kinds["s"]:
		return strs
	case len(kinds) == 1 && kinds["i"]:
		return ints
	case len(kinds) == 1 && kinds["f"], len(kinds) == 2 && kinds["i"] && kinds["f"]:
		return floats
	case len(kinds) == 1 && kinds["b"]:
		return bools
	}
	return v // compared as JSON
}

func refLookup(field string, v map[string]any) (map[string]any, bool) {
	if _, ok := v[PropID].(string); !ok {
		return nil, false
	}
	out := map[string]any{}
	for k, mv := range v {
		if !ValidKey(k) {
			return nil, false
		}
		switch mv := mv.(type) {
		case nil, string, bool:
			out[field+"_"+k] = mv
		case json.Number:
			out[field+"_"+k] = refNumber(mv)
		case map[string]any:
			name, ok := refModule(mv)
			if k != "module" || !ok {
				return nil, false
			}
			out[field+LookupModuleSuffix] = name
		default:
			return nil, false
		}
	}
	return out, true
}

func refModule(v map[string]any) (string, bool) {
	for _, mv := range v {
		switch mv.(type) {
		case map[string]any, []any:
			return "", false
		}
	}
	name, ok := v["api_name"].(string)
	return name, ok && name != ""
}

// equalProps compares the scanner's result with the reference's.
func equalProps(t *testing.T, got, want map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d properties, want %d:\n got %#v\nwant %#v", len(got), len(want), got, want)
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Fatalf("property %q missing", k)
		}
		switch w := w.(type) {
		case map[string]any, []any:
			s, ok := g.(string)
			if !ok {
				t.Fatalf("property %q = %#v, want JSON text of %#v", k, g, w)
			}
			d := json.NewDecoder(strings.NewReader(s))
			d.UseNumber()
			var back any
			if err := d.Decode(&back); err != nil || !reflect.DeepEqual(back, w) {
				t.Fatalf("property %q = %s, want JSON of %#v (%v)", k, s, w, err)
			}
		case float64:
			if g, ok := g.(float64); !ok || (g != w && !(math.IsNaN(g) && math.IsNaN(w))) {
				t.Fatalf("property %q = %#v, want %#v", k, g, w)
			}
		default:
			if !sameValue(g, w) {
				t.Fatalf("property %q = %#v (%T), want %#v (%T)", k, g, g, w, w)
			}
		}
	}
}

// hasDuplicateKeys reports whether any object in body repeats a key.
func hasDuplicateKeys(body []byte) bool {
	d := json.NewDecoder(bytes.NewReader(body))
	var stack []map[string]bool
	expectKey := false
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{':
				stack = append(stack, map[string]bool{})
				expectKey = true
				continue
			case '[':
				stack = append(stack, nil)
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
		case string:
			if expectKey && len(stack) > 0 && stack[len(stack)-1] != nil {
				if stack[len(stack)-1][tok] {
					return true
				}
				stack[len(stack)-1][tok] = true
				expectKey = false
				continue
			}
		}
		expectKey = len(stack) > 0 && stack[len(stack)-1] != nil
	}
}

func FuzzProperties(f *testing.F) {
	for _, s := range []string{sampleBody, `{}`, `{"id":"1"}`, `{"a":[1,2.0,3e2]}`,
		`{"a":"\ud800x"}`, `{"a":"\ud83d\ude80"}`, "{\"a\":\"\xff\xfe\"}", `{"a":{"id":"1","b":[]}}`,
		`{"a":{"id":"1","module":{"api_name":"X"}}}`, `{"a":-0}`, `{"a":1e400}`,
		`{"a":9223372036854775808}`, `{"a" : [ "x" , "y" ] }`, `{"$a":{"id":"2"}}`, `{}0`,
		`{}]`, `{"0":["",]}`,
		`{"a":"2024-02-29","b":"2023-02-29","c":"2024-13-01","d":"0000-01-01"}`,
		`{"a":"2024-05-01T10:15:30.123+05:30","b":"2024-05-01T24:00:00Z"}`,
		`{"a":"2024-05-01T10:15:30+24:00","b":"2024-05-01T10:15:30-00:00"}`,
		`{"a":"2024-05-01T10:15:30.Z","b":"2024-05-01T10:15:30z"}`,
		`{"a":"2024-05-01T10:15:30.1234567891Z","b":"2024-05-01T10:15:60Z"}`,
		`{"c":"2024-05-01T10:15:30+0530"}`} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	mappers := map[bool]*Mapper{false: Mapping{}.NewMapper(),
		true: Mapping{KeepMeta: true}.NewMapper()}
	f.Fuzz(func(t *testing.T, body []byte, keepMeta bool) {
		got, err := Mapping{KeepMeta: keepMeta}.Properties(body)
		remembered, mapperErr := mappers[keepMeta].Properties(body)
		if (err == nil) != (mapperErr == nil) {
			t.Fatalf("Mapping error %v, Mapper error %v", err, mapperErr)
		}
		if err == nil {
			equalProps(t, remembered, got)
			mappers[keepMeta].Release(remembered)
		}
		want, refErr := reference(body, keepMeta)
		if errors.Is(err, ErrPropertyClash) || hasDuplicateKeys(body) {
			return // duplicate keys: encoding/json keeps the last, the mapping refuses
		}
		if (err == nil) != (refErr == nil) {
			t.Fatalf("mapping error %v, reference error %v, body %q", err, refErr, body)
		}
		if err != nil {
			if !errors.Is(err, refErr) && !errors.Is(refErr, ErrBadBody) {
				t.Fatalf("mapping error %v, reference error %v", err, refErr)
			}
			return
		}
		equalProps(t, got, want)
	})
}

func BenchmarkProperties(b *testing.B) {
	body := []byte(sampleBody)
	b.Run("mapping", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := (Mapping{}).Properties(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mapper", func(b *testing.B) {
		m := Mapping{}.NewMapper()
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Properties(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json-map", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestMapperRemembers maps records through one Mapper and checks that each
// result equals the Mapping's, including after its tables are emptied.
func TestMapperRemembers(t *testing.T) {
	m := Mapping{}.NewMapper()
	for i := range maxKeys + 10 {
		body := fmt.Appendf(nil, `{"id":"%d","Stage":"Won","City":"City %d","When":"2024-01-%02d",`+
			`"Owner":{"name":"Mary","id":"%d"},"Empty":null,"F%d":1}`, i, i, 1+i%28, i%7, i)
		got, err := m.Properties(body)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Mapping{}.Properties(body)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("record %d: Mapper %v, Mapping %v", i, got, want)
		}
		if i%2 == 0 {
			m.Release(got) // the next record reuses the map, emptied
		}
	}
}

// TestTypedStringMatchesTimeParse walks dates and times around the edges
// and holds the hand-written parser to time.Parse.
func TestTypedStringMatchesTimeParse(t *testing.T) {
	var cases []string
	for _, y := range []string{"0000", "0001", "1970", "2023", "2024", "9999"} {
		for m := 0; m <= 13; m++ {
			for _, d := range []int{0, 1, 28, 29, 30, 31, 32} {
				cases = append(cases, fmt.Sprintf("%s-%02d-%02d", y, m, d))
			}
		}
	}
	for _, clock := range []string{"00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60"} {
		for _, frac := range []string{"", ".", ".5", ".123456789", ".1234567891"} {
			for _, zone := range []string{"Z", "z", "+00:00", "-00:00", "+05:30", "-07:00",
				"+18:00", "+18:01", "-18:00", "+24:00", "+05:60", "+0530", "+5:30", ""} {
				cases = append(cases, "2024-02-29T"+clock+frac+zone, "2023-02-29T"+clock+frac+zone)
			}
		}
	}
	for _, s := range cases {
		got, want := typedString(s), refTyped(s)
		if !sameValue(got, want) {
			t.Errorf("typedString(%q) = %#v, time.Parse gives %#v", s, got, want)
		}
	}
}
