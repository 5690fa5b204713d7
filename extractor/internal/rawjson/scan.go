package rawjson

import (
	"fmt"
	"unicode/utf8"
)

// syntaxError reports what was wrong at which offset.
func syntaxError(what string, at int) error {
	return fmt.Errorf("%s at offset %d: %w", what, at, ErrSyntax)
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
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

// skipValue validates the value that starts at b[i] (no leading space) and
// returns the index just past it.
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return 0, syntaxError("unexpected end", i)
	}
	switch c := b[i]; {
	case c == '"':
		end, _, err := scanString(b, i)
		return end, err
	case c == '{':
		if depth >= MaxDepth {
			return 0, ErrDepth
		}
		return object(b, i, func(_ key, vs int) (int, error) { return skipValue(b, vs, depth+1) })
	case c == '[':
		if depth >= MaxDepth {
			return 0, ErrDepth
		}
		return array(b, i, func(vs int) (int, error) { return skipValue(b, vs, depth+1) })
	case c == '-' || c >= '0' && c <= '9':
		return scanNumber(b, i)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	}
	return 0, syntaxError(fmt.Sprintf("unexpected %q", b[i]), i)
}

// key locates an object key in its input: the string with its quotes, and
// whether its text is those bytes unchanged.
type key struct {
	start, end int
	simple     bool
}

// object walks the object at b[i]. For each member it calls value with the
// key and the index where the value starts; value reads the value and
// returns the index just past it. object returns the index past the '}'.
func object(b []byte, i int, value func(k key, vs int) (int, error)) (int, error) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, syntaxError("object key expected", i)
		}
		kend, simple, err := scanString(b, i)
		if err != nil {
			return 0, err
		}
		j := skipSpace(b, kend)
		if j >= len(b) || b[j] != ':' {
			return 0, syntaxError("':' expected", j)
		}
		vend, err := value(key{i, kend, simple}, skipSpace(b, j+1))
		if err != nil {
			return 0, err
		}
		i = skipSpace(b, vend)
		if i >= len(b) {
			return 0, syntaxError("unexpected end", i)
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return 0, syntaxError("',' or '}' expected", i)
		}
	}
}

// array walks the array at b[i] as object walks an object.
func array(b []byte, i int, value func(vs int) (int, error)) (int, error) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		vend, err := value(i)
		if err != nil {
			return 0, err
		}
		i = skipSpace(b, vend)
		if i >= len(b) {
			return 0, syntaxError("unexpected end", i)
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return 0, syntaxError("',' or ']' expected", i)
		}
	}
}

// scanString validates the string at b[i] and returns the index past its
// closing quote. simple reports that its bytes between the quotes are
// exactly what encoding/json would write for it: no escapes, no invalid
// UTF-8, no U+2028 or U+2029.
func scanString(b []byte, i int) (end int, simple bool, err error) {
	simple = true
	for j := i + 1; j < len(b); {
		c := b[j]
		switch {
		case c == '"':
			return j + 1, simple, nil
		case c == '\\':
			simple = false
			n, err := scanEscape(b, j)
			if err != nil {
				return 0, false, err
			}
			j += n
		case c < 0x20:
			return 0, false, syntaxError("control character in string", j)
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				simple = false
			}
			j += size
		}
	}
	return 0, false, syntaxError("unterminated string", i)
}

// scanEscape validates the escape at b[j] and returns its length.
func scanEscape(b []byte, j int) (int, error) {
	if j+1 >= len(b) {
		return 0, syntaxError("unterminated string", j)
	}
	switch b[j+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, nil
	case 'u':
		if j+6 > len(b) {
			return 0, syntaxError("unterminated string", j)
		}
		for _, h := range b[j+2 : j+6] {
			if !isHex(h) {
				return 0, syntaxError("invalid \\u escape", j)
			}
		}
		return 6, nil
	}
	return 0, syntaxError("invalid escape", j)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// scanNumber validates the number at b[i] against the JSON grammar and
// returns the index past it.
func scanNumber(b []byte, i int) (int, error) {
	start := i
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return 0, syntaxError("invalid number", start)
	}
	if i < len(b) && b[i] == '.' {
		if i+1 >= len(b) || b[i+1] < '0' || b[i+1] > '9' {
			return 0, syntaxError("invalid number", start)
		}
		i = digits(b, i+1)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0, syntaxError("invalid number", start)
		}
		i = digits(b, i)
	}
	return i, nil
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, syntaxError("invalid literal", i)
	}
	return i + len(lit), nil
}
