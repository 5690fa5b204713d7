package mapping

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestScanObject(t *testing.T) {
	keys := []string{"Owner", "What_Id", "$se_module"}
	tests := []struct {
		name string
		body string
		want []string // raw values; "" for absent
		err  bool
	}{
		{"empty", `{}`, []string{"", "", ""}, false},
		{"found", `{"Owner":{"name":"A","id":"1"},"x":[1,{"a":"}"}],"What_Id":null}`,
			[]string{`{"name":"A","id":"1"}`, "null", ""}, false},
		{"spaces", " { \"$se_module\" : \"Deals\" , \"Owner\" : 12 } ",
			[]string{"12", "", `"Deals"`}, false},
		{"escaped key", `{"Own\u0065r":"x"}`, []string{`"x"`, "", ""}, false},
		{"quotes in strings", `{"a":"he said \"}\"","Owner":true}`,
			[]string{"true", "", ""}, false},
		{"last wins", `{"Owner":1,"Owner":2}`, []string{"2", "", ""}, false},
		{"array", `[1,2]`, nil, true},
		{"unterminated", `{"Owner":{"id":"1"}`, nil, true},
		{"unterminated string", `{"Owner":"abc}`, nil, true},
		{"missing colon", `{"Owner" 1}`, nil, true},
		{"trailing garbage", `{"Owner":1 x}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := make([][]byte, len(keys))
			err := scanObject([]byte(tt.body), keys, out)
			if tt.err {
				if !errors.Is(err, ErrBadBody) {
					t.Fatalf("err = %v, want ErrBadBody", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tt.want {
				if string(out[i]) != w {
					t.Errorf("%s = %q, want %q", keys[i], out[i], w)
				}
			}
		})
	}
}

// FuzzScanObject checks the scanner against encoding/json on valid objects:
// every top-level value it returns decodes to what encoding/json decoded.
func FuzzScanObject(f *testing.F) {
	f.Add(`{"a":1,"b":{"c":[1,"]"]},"d":"\"x"}`)
	f.Add(`{"b":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &m) != nil || m == nil {
			return
		}
		keys := []string{"a", "b", "d"}
		out := make([][]byte, len(keys))
		if err := scanObject([]byte(body), keys, out); err != nil {
			t.Fatalf("scan of valid JSON %q: %v", body, err)
		}
		for i, k := range keys {
			want, ok := m[k]
			if !ok {
				if out[i] != nil {
					t.Fatalf("key %s absent but scanned %q", k, out[i])
				}
				continue
			}
			var a, b any
			_ = json.Unmarshal(want, &a)
			if err := json.Unmarshal(out[i], &b); err != nil {
				t.Fatalf("key %s: scanned %q: %v", k, out[i], err)
			}
			if ja, jb := mustJSON(a), mustJSON(b); ja != jb {
				t.Fatalf("key %s: scanned %s, want %s", k, jb, ja)
			}
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
