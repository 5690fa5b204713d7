package rawjson

import (
	"fmt"
	"slices"
)

// Member is one member of a JSON object: its key, unescaped, and its value
// as raw JSON.
type Member struct {
	Key   string
	Value []byte
}

// start returns the index of the value b holds, checking that it starts
// with open.
func start(b []byte, open byte) (int, error) {
	i := skipSpace(b, 0)
	if i >= len(b) {
		return 0, syntaxError("unexpected end", i)
	}
	if b[i] != open {
		return 0, fmt.Errorf("want %q, found %q: %w", open, b[i], ErrType)
	}
	return i, nil
}

// trailing checks that only space follows index end.
func trailing(b []byte, end int) error {
	if j := skipSpace(b, end); j != len(b) {
		return syntaxError("data after the value", j)
	}
	return nil
}

// Members calls fn with each member of the object b holds, in order. The
// values are slices of b; fn may read a value with Members, Elements or
// String. The whole object is validated.
func Members(b []byte, fn func(key string, value []byte) error) error {
	i, err := start(b, '{')
	if err != nil {
		return err
	}
	end, err := object(b, i, func(k key, vs int) (int, error) {
		ve, err := skipValue(b, vs, 1)
		if err != nil {
			return 0, err
		}
		name, err := unquote(b[k.start:k.end], k.simple)
		if err != nil {
			return 0, err
		}
		return ve, fn(name, b[vs:ve])
	})
	if err != nil {
		return err
	}
	return trailing(b, end)
}

// Elements calls fn with each element of the array b holds, in order. The
// elements are slices of b. The whole array is validated.
func Elements(b []byte, fn func(value []byte) error) error {
	i, err := start(b, '[')
	if err != nil {
		return err
	}
	end, err := array(b, i, func(vs int) (int, error) {
		ve, err := skipValue(b, vs, 1)
		if err != nil {
			return 0, err
		}
		return ve, fn(b[vs:ve])
	})
	if err != nil {
		return err
	}
	return trailing(b, end)
}

// ObjectList reads an array of objects in one pass: for each element it
// calls each with the element's index, and then member for each of its
// members. Values are slices of b; keys repeated across elements share
// one string. The whole array is validated.
func ObjectList(b []byte, each func(n int) error,
	member func(key string, value []byte) error) error {
	i, err := start(b, '[')
	if err != nil {
		return err
	}
	end, err := objectList(b, i, make(keys), each, member)
	if err != nil {
		return err
	}
	return trailing(b, end)
}

// MemberLists reads an object in one pass, reading the members named in
// lists as arrays of objects (see ObjectList) and handing the others to
// other as raw values.
func MemberLists(b []byte, lists []string, each func(list string, n int) error,
	member func(key string, value []byte) error,
	other func(key string, value []byte) error) error {
	i, err := start(b, '{')
	if err != nil {
		return err
	}
	ks := make(keys)
	end, err := object(b, i, func(k key, vs int) (int, error) {
		name, err := ks.of(b[k.start:k.end], k.simple)
		if err != nil {
			return 0, err
		}
		if !slices.Contains(lists, name) {
			ve, err := skipValue(b, vs, 1)
			if err != nil {
				return 0, err
			}
			return ve, other(name, b[vs:ve])
		}
		if vs >= len(b) || b[vs] != '[' {
			return 0, fmt.Errorf("%s is not an array: %w", name, ErrType)
		}
		return objectList(b, vs, ks, func(n int) error { return each(name, n) }, member)
	})
	if err != nil {
		return err
	}
	return trailing(b, end)
}

// objectList walks the array of objects at b[i].
func objectList(b []byte, i int, ks keys, each func(n int) error,
	member func(key string, value []byte) error) (int, error) {
	n := 0
	return array(b, i, func(es int) (int, error) {
		if es >= len(b) || b[es] != '{' {
			return 0, fmt.Errorf("element %d is not an object: %w", n, ErrType)
		}
		if err := each(n); err != nil {
			return 0, err
		}
		n++
		return object(b, es, func(k key, vs int) (int, error) {
			ve, err := skipValue(b, vs, 2)
			if err != nil {
				return 0, err
			}
			name, err := ks.of(b[k.start:k.end], k.simple)
			if err != nil {
				return 0, err
			}
			return ve, member(name, b[vs:ve])
		})
	})
}

// keys interns object keys, which repeat from one record to the next.
type keys map[string]string

// of returns the text of a validated key, quotes included.
func (ks keys) of(q []byte, simple bool) (string, error) {
	if !simple {
		return unquote(q, false)
	}
	raw := q[1 : len(q)-1]
	if s, ok := ks[string(raw)]; ok {
		return s, nil
	}
	s := string(raw)
	ks[s] = s
	return s, nil
}

// String returns the text of the JSON string b holds.
func String(b []byte) (string, error) {
	i, err := start(b, '"')
	if err != nil {
		return "", err
	}
	end, simple, err := scanString(b, i)
	if err != nil {
		return "", err
	}
	if err := trailing(b, end); err != nil {
		return "", err
	}
	return unquote(b[i:end], simple)
}

// unquote returns the text of a validated JSON string, quotes included.
// Strings that need no unescaping are cut out of b.
func unquote(q []byte, simple bool) (string, error) {
	if simple {
		return string(q[1 : len(q)-1]), nil
	}
	return unescape(q), nil
}
