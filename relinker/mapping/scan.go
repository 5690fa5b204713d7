package mapping

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// scanObject finds the raw JSON values of a few top-level keys of the JSON
// object body without decoding anything else: out[i] is set to the value
// of keys[i], or nil when the object has no such key. Values it skips are
// checked only for balance, not for full JSON validity; the values it
// returns are decoded by the caller, which checks them.
func scanObject(body []byte, keys []string, out [][]byte) error {
	for i := range out {
		out[i] = nil
	}
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return fmt.Errorf("not a JSON object: %w", ErrBadBody)
	}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return nil
	}
	for {
		if i >= len(body) || body[i] != '"' {
			return fmt.Errorf("object key at byte %d: %w", i, ErrBadBody)
		}
		end, escaped, err := skipString(body, i)
		if err != nil {
			return err
		}
		key := body[i+1 : end-1]
		i = skipSpace(body, end)
		if i >= len(body) || body[i] != ':' {
			return fmt.Errorf("colon after key at byte %d: %w", i, ErrBadBody)
		}
		i = skipSpace(body, i+1)
		vend, err := skipValue(body, i)
		if err != nil {
			return err
		}
		if k := wanted(key, escaped, keys); k >= 0 {
			out[k] = body[i:vend]
		}
		i = skipSpace(body, vend)
		if i >= len(body) {
			return fmt.Errorf("object not closed: %w", ErrBadBody)
		}
		switch body[i] {
		case ',':
			i = skipSpace(body, i+1)
		case '}':
			return nil
		default:
			return fmt.Errorf("comma or brace at byte %d: %w", i, ErrBadBody)
		}
	}
}

// wanted returns the index of key in keys, or -1. A key written with
// escapes is unescaped first.
func wanted(key []byte, escaped bool, keys []string) int {
	if escaped {
		var s string
		quoted := append(append([]byte{'"'}, key...), '"')
		if err := json.Unmarshal(quoted, &s); err != nil {
			return -1
		}
		key = []byte(s)
	}
	for k, want := range keys {
		if string(key) == want {
			return k
		}
	}
	return -1
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string that starts at b[i]
// (a quote), and whether it holds escapes.
func skipString(b []byte, i int) (int, bool, error) {
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped, nil
		}
	}
	return 0, false, fmt.Errorf("string at byte %d not closed: %w", i, ErrBadBody)
}

// skipValue returns the index just past the JSON value that starts at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, fmt.Errorf("value missing at end: %w", ErrBadBody)
	}
	switch b[i] {
	case '"':
		end, _, err := skipString(b, i)
		return end, err
	case '{', '[':
		return skipNested(b, i)
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if j == i {
				return 0, fmt.Errorf("value at byte %d: %w", i, ErrBadBody)
			}
			return j, nil
		}
		j++
	}
	return j, nil
}

// skipNested returns the index just past the object or array at b[i].
func skipNested(b []byte, i int) (int, error) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			end, _, err := skipString(b, j)
			if err != nil {
				return 0, err
			}
			j = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, fmt.Errorf("value at byte %d not closed: %w", i, ErrBadBody)
}

// isNull reports whether a raw value is absent or JSON null.
func isNull(raw []byte) bool {
	return raw == nil || bytes.Equal(raw, []byte("null"))
}

// stringValue decodes a raw JSON string, or a number kept as its text (an
// id Zoho sent unquoted). Anything else gives ok false.
func stringValue(raw []byte) (s string, ok bool) {
	if len(raw) == 0 {
		return "", false
	}
	switch c := raw[0]; {
	case c == '"':
		if bytes.IndexByte(raw, '\\') < 0 {
			return string(raw[1 : len(raw)-1]), true
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case c == '-' || (c >= '0' && c <= '9'):
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", false
		}
		return n.String(), true
	}
	return "", false
}
