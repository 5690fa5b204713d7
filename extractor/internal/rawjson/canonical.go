package rawjson

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// AppendCanonical appends the canonical form of the JSON value b holds.
func AppendCanonical(dst, b []byte) ([]byte, error) {
	var c Canonicalizer
	i := skipSpace(b, 0)
	dst, end, err := c.value(dst, b, i, 0)
	if err != nil {
		return dst, err
	}
	return dst, trailing(b, end)
}

// AppendCanonicalObject appends the canonical form of the object made of
// members, whose values must be valid JSON (as Members returns them). A
// key given more than once keeps its last value.
func AppendCanonicalObject(dst []byte, members []Member) ([]byte, error) {
	var c Canonicalizer
	return c.AppendObject(dst, members)
}

// Canonicalizer writes canonical JSON as AppendCanonicalObject does, and
// faster over many objects of the same shape: it remembers nested keys and
// the key order of the last object, which records of one module share. It
// is not safe for concurrent use; its zero value is ready.
type Canonicalizer struct {
	keys  keys
	last  []string // keys of the last object, in their order
	order []int32  // positions of last in canonical order
}

// AppendObject appends the canonical form of the object made of members.
func (c *Canonicalizer) AppendObject(dst []byte, members []Member) ([]byte, error) {
	return c.object(dst, members, c.sortedTop(members), 0)
}

// sortedTop returns the canonical order of members, reusing the last one
// when the keys came in the same order.
func (c *Canonicalizer) sortedTop(members []Member) []int32 {
	if len(members) == len(c.last) {
		same := true
		for i, m := range members {
			if m.Key != c.last[i] {
				same = false
				break
			}
		}
		if same {
			return c.order
		}
	}
	c.last = c.last[:0]
	for _, m := range members {
		c.last = append(c.last, m.Key)
	}
	c.order = sortOrder(c.order[:0], members)
	return c.order
}

// sortOrder appends the positions of members sorted by key and then by
// position, so that of a repeated key the last value comes last.
func sortOrder(order []int32, members []Member) []int32 {
	for i := range members {
		order = append(order, int32(i))
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := strings.Compare(members[a].Key, members[b].Key); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return order
}

// value appends the canonical form of the value at b[i] and returns the
// index past it, validating it on the way.
func (c *Canonicalizer) value(dst, b []byte, i, depth int) ([]byte, int, error) {
	if i >= len(b) {
		return dst, 0, syntaxError("unexpected end", i)
	}
	switch ch := b[i]; {
	case ch == '"':
		end, simple, err := scanString(b, i)
		if err != nil {
			return dst, 0, err
		}
		dst, err = appendString(dst, b[i:end], simple)
		return dst, end, err
	case ch == '{':
		if depth >= MaxDepth {
			return dst, 0, ErrDepth
		}
		return c.nested(dst, b, i, depth+1)
	case ch == '[':
		if depth >= MaxDepth {
			return dst, 0, ErrDepth
		}
		return c.array(dst, b, i, depth+1)
	}
	end, err := skipValue(b, i, depth) // numbers as written; true, false, null
	if err != nil {
		return dst, 0, err
	}
	return append(dst, b[i:end]...), end, nil
}

// nested collects the members of the object at b[i], then writes them in
// key order.
func (c *Canonicalizer) nested(dst, b []byte, i, depth int) ([]byte, int, error) {
	if c.keys == nil {
		c.keys = make(keys)
	}
	var small [8]Member
	members := small[:0]
	end, err := object(b, i, func(k key, vs int) (int, error) {
		ve, err := skipValue(b, vs, depth)
		if err != nil {
			return 0, err
		}
		name, err := c.keys.of(b[k.start:k.end], k.simple)
		members = append(members, Member{Key: name, Value: b[vs:ve]})
		return ve, err
	})
	if err != nil {
		return dst, 0, err
	}
	var order [8]int32
	dst, err = c.object(dst, members, sortOrder(order[:0], members), depth)
	return dst, end, err
}

// object writes members in the given canonical order, skipping all but the
// last value of a repeated key.
func (c *Canonicalizer) object(dst []byte, members []Member, order []int32,
	depth int) ([]byte, error) {
	dst = append(dst, '{')
	first := true
	for n, i := range order {
		m := members[i]
		if n+1 < len(order) && members[order[n+1]].Key == m.Key {
			continue // a later value wins
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendText(dst, m.Key)
		dst = append(dst, ':')
		var err error
		var end int
		if dst, end, err = c.value(dst, m.Value, 0, depth); err != nil {
			return dst, err
		}
		if end != len(m.Value) {
			return dst, syntaxError("data after the value", end)
		}
	}
	return append(dst, '}'), nil
}

func (c *Canonicalizer) array(dst, b []byte, i, depth int) ([]byte, int, error) {
	dst = append(dst, '[')
	first := true
	end, err := array(b, i, func(vs int) (int, error) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		var ve int
		var err error
		dst, ve, err = c.value(dst, b, vs, depth)
		return ve, err
	})
	if err != nil {
		return dst, 0, err
	}
	return append(dst, ']'), end, nil
}

// appendString appends a validated JSON string (quotes included) in
// canonical form: as it is when simple, else unescaped and escaped again.
func appendString(dst, q []byte, simple bool) ([]byte, error) {
	if simple {
		return append(dst, q...), nil
	}
	return appendEscaped(dst, q), nil
}

const hexDigits = "0123456789abcdef"

// appendText appends s as a JSON string escaped the way encoding/json
// escapes without HTML escaping: quote, backslash and control characters,
// invalid UTF-8 as \ufffd, and U+2028 and U+2029.
func appendText(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			dst = appendEscape(dst, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendEscape appends the escape of an ASCII byte encoding/json escapes.
func appendEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}
