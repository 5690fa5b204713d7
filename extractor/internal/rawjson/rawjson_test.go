package rawjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/rawjson"
)

// reference is the canonical form the contract defines: decode with
// json.Number, encode with events.CanonicalJSON.
func reference(b []byte) ([]byte, error) {
	if !json.Valid(b) {
		return nil, errors.New("invalid JSON")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return events.CanonicalJSON(v)
}

var samples = []string{
	`{}`, `[]`, `""`, `0`, `-0.5e+10`, `true`, `null`,
	`{"b":1,"a":{"d":[1,2,{"z":null,"y":"x"}],"c":"\u00e9\/"},"a":"last wins"}`,
	`{"html":"<a href=\"x\">&amp;</a>","ctl":"\u0001\u001f\b\f\n\r\t","sep":"\u2028\u2029"}`,
	`{"surrogate":"\ud83d\ude80 and lone \ud800 x"}`,
	"{\"bad\":\"\xff\xfe ok\"}",
	` { "sp" : [ 1 , 2 ] , "e" : "é€𝄞" } `,
	`{"name":"Acme \"Quoted\" Ltd","path":"Back\\Slash","emoji":"Rocket 🚀 Labs"}`,
	`{"n":12345678901234567890123,"f":1.50,"e":1E3}`,
}

func TestAppendCanonicalMatchesTheContract(t *testing.T) {
	for _, s := range samples {
		t.Run(s, func(t *testing.T) {
			want, err := reference([]byte(s))
			if err != nil {
				t.Fatalf("reference: %v", err)
			}
			got, err := rawjson.AppendCanonical(nil, []byte(s))
			if err != nil {
				t.Fatalf("AppendCanonical: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestInvalidJSONIsRefused(t *testing.T) {
	for _, s := range []string{`{"a":1`, `{"a":1,}`, `[1,]`, `{"a" 1}`, `{"a":tru}`, `01`,
		`1.`, `-`, `"\x"`, "\"a\x01\"", `{"a":"unterminated}`, `{"data":[{"id":"1"},`,
		`{} {}`, `{"a":1}}`} {
		t.Run(s, func(t *testing.T) {
			if _, err := rawjson.AppendCanonical(nil, []byte(s)); !errors.Is(err, rawjson.ErrSyntax) {
				t.Errorf("AppendCanonical(%q) = %v, want ErrSyntax", s, err)
			}
		})
	}
}

func TestMembersAndCanonicalObject(t *testing.T) {
	in := []byte(`{"id":"42","Owner":{"name":"Zoë","id":"7"},"Tag":[],"id":"42"}`)
	var ms []rawjson.Member
	err := rawjson.Members(in, func(k string, v []byte) error {
		ms = append(ms, rawjson.Member{Key: k, Value: v})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 4 || ms[1].Key != "Owner" || string(ms[1].Value) != `{"name":"Zoë","id":"7"}` {
		t.Fatalf("members %q", ms)
	}
	got, err := rawjson.AppendCanonicalObject(nil, ms)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := reference(in)
	if !bytes.Equal(got, want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func FuzzAppendCanonical(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want, werr := reference(b)
		got, gerr := rawjson.AppendCanonical(nil, b)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("input %q: reference error %v, rawjson error %v", b, werr, gerr)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("input %q:\n got  %s\n want %s", b, got, want)
		}
	})
}

func FuzzCanonicalizerReuse(f *testing.F) {
	f.Add([]byte(`{"b":1,"a":{"y":2,"x":1}}`), []byte(`{"b":"z","a":{"x":[],"y":{}}}`))
	f.Add([]byte(`{"a":1,"a":2}`), []byte(`{"a":3,"b":4}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var c rawjson.Canonicalizer
		for _, in := range [][]byte{a, b, a} {
			var ms []rawjson.Member
			if rawjson.Members(in, func(k string, v []byte) error {
				ms = append(ms, rawjson.Member{Key: k, Value: v})
				return nil
			}) != nil {
				return
			}
			want, err := reference(in)
			if err != nil {
				t.Fatalf("input %q is valid for Members but not for the reference: %v", in, err)
			}
			got, err := c.AppendObject(nil, ms)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("input %q:\n got  %s (%v)\n want %s", in, got, err, want)
			}
		}
	})
}
