package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of a record body; deeper input is refused
// rather than walked recursively.
const maxDepth = 256

// scanner is a small JSON reader over one record body. It decodes each
// value once, straight into the Go type the driver sends fastest, without
// reflection and without building an intermediate map[string]any; it
// accepts exactly what encoding/json accepts, and like encoding/json it
// replaces invalid UTF-8 and lone surrogates with U+FFFD.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrBadBody)
}

// ws skips insignificant whitespace.
func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// consume skips c if it is the next byte and reports whether it was.
func (s *scanner) consume(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// literal reads the literal lit (true, false or null).
func (s *scanner) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.errorf("invalid literal at offset %d", s.i)
	}
	s.i += len(lit)
	return nil
}

// scalar reads a string, number or boolean.
func (s *scanner) scalar() (any, error) {
	if s.i >= len(s.b) {
		return nil, s.errorf("value missing at end of input")
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == 't':
		return true, s.literal("true")
	case c == 'f':
		return false, s.literal("false")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	}
	return nil, s.errorf("unexpected %q at offset %d", s.b[s.i], s.i)
}

// number reads a JSON number: int64 when it is written as an integer and
// fits, float64 otherwise.
func (s *scanner) number() (any, error) {
	start := s.i
	integer := true
	s.consume('-')
	switch {
	case s.consume('0'):
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		s.digits()
	default:
		return nil, s.errorf("invalid number at offset %d", start)
	}
	if s.consume('.') {
		integer = false
		if s.digits() == 0 {
			return nil, s.errorf("invalid number at offset %d", start)
		}
	}
	if s.consume('e') || s.consume('E') {
		integer = false
		if !s.consume('+') {
			s.consume('-')
		}
		if s.digits() == 0 {
			return nil, s.errorf("invalid number at offset %d", start)
		}
	}
	text := string(s.b[start:s.i])
	if integer {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, s.errorf("number %s out of range", text)
	}
	return f, nil
}

// digits skips decimal digits and returns how many there were.
func (s *scanner) digits() int {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i - start
}

// str reads a string. The common case, no escapes and valid UTF-8, is one
// scan and one copy.
func (s *scanner) str() (string, error) {
	b, err := s.strBytes()
	return string(b), err
}

// strBytes reads a string and returns its decoded bytes: a slice of the
// input when the string holds no escapes and is valid UTF-8, so that a
// caller can look it up without copying it.
func (s *scanner) strBytes() ([]byte, error) {
	if !s.consume('"') {
		return nil, s.errorf("want a string at offset %d", s.i)
	}
	start := s.i
	ascii := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			if ascii || utf8.Valid(raw) {
				return raw, nil
			}
			return toValidUTF8(raw), nil
		case c == '\\':
			return s.unescape(start)
		case c < 0x20:
			return nil, s.errorf("control character in string at offset %d", s.i)
		case c >= 0x80:
			ascii = false
		}
		s.i++
	}
	return nil, s.errorf("unterminated string at offset %d", start-1)
}

// unescape finishes a string that holds escapes; start is its first byte.
func (s *scanner) unescape(start int) ([]byte, error) {
	out := make([]byte, 0, s.i-start+16)
	out = append(out, s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			if !utf8.Valid(out) {
				out = toValidUTF8(out)
			}
			return out, nil
		case c < 0x20:
			return nil, s.errorf("control character in string at offset %d", s.i)
		case c != '\\':
			out = append(out, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			break
		}
		e := s.b[s.i+1]
		s.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, err := s.hex4()
			if err != nil {
				return nil, err
			}
			out = s.appendRune(out, r)
		default:
			return nil, s.errorf("invalid escape at offset %d", s.i-2)
		}
	}
	return nil, s.errorf("unterminated string at offset %d", start-1)
}

// appendRune appends r, pairing a high surrogate with a following \u low
// surrogate; a lone surrogate becomes U+FFFD.
func (s *scanner) appendRune(out []byte, r rune) []byte {
	if !utf16.IsSurrogate(r) {
		return utf8.AppendRune(out, r)
	}
	if r < 0xDC00 && s.i+6 <= len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
		save := s.i
		s.i += 2
		if r2, err := s.hex4(); err == nil {
			if p := utf16.DecodeRune(r, r2); p != utf8.RuneError {
				return utf8.AppendRune(out, p)
			}
		}
		s.i = save
	}
	return utf8.AppendRune(out, utf8.RuneError)
}

// hex4 reads the four hex digits of a \u escape.
func (s *scanner) hex4() (rune, error) {
	if s.i+4 > len(s.b) {
		return 0, s.errorf("short \\u escape at offset %d", s.i)
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, s.errorf("invalid \\u escape at offset %d", s.i)
		}
	}
	s.i += 4
	return r, nil
}

// skip validates the value at the cursor, moves past it and returns its
// raw bytes.
func (s *scanner) skip(depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, s.errorf("nesting deeper than %d", maxDepth)
	}
	start := s.i
	if s.i >= len(s.b) {
		return nil, s.errorf("value missing at end of input")
	}
	var err error
	switch s.b[s.i] {
	case '{':
		err = s.skipComposite(depth, '}', true)
	case '[':
		err = s.skipComposite(depth, ']', false)
	case 'n':
		err = s.literal("null")
	default:
		_, err = s.scalar()
	}
	if err != nil {
		return nil, err
	}
	return s.b[start:s.i], nil
}

// skipComposite skips an object (keyed) or an array.
func (s *scanner) skipComposite(depth int, end byte, keyed bool) error {
	s.i++
	s.ws()
	if s.consume(end) {
		return nil
	}
	for {
		s.ws()
		if keyed {
			if _, err := s.str(); err != nil {
				return err
			}
			s.ws()
			if !s.consume(':') {
				return s.errorf("want ':' at offset %d", s.i)
			}
			s.ws()
		}
		if _, err := s.skip(depth + 1); err != nil {
			return err
		}
		s.ws()
		if s.consume(',') {
			continue
		}
		if s.consume(end) {
			return nil
		}
		return s.errorf("want ',' or %q at offset %d", end, s.i)
	}
}

// toValidUTF8 replaces each byte that is not part of valid UTF-8 with
// U+FFFD, as encoding/json does.
func toValidUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

// jsonText returns a nested value as compact JSON text with valid UTF-8.
// Zoho sends compact JSON, so the common case is a plain copy.
func jsonText(raw []byte) string {
	if hasLooseSpace(raw) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err == nil {
			raw = buf.Bytes()
		}
	}
	if !utf8.Valid(raw) {
		raw = toValidUTF8(raw)
	}
	return string(raw)
}

// hasLooseSpace reports whether valid JSON text holds whitespace outside
// its strings.
func hasLooseSpace(raw []byte) bool {
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return true
		}
	}
	return false
}
