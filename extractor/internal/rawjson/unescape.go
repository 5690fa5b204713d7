package rawjson

import (
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The functions here read JSON strings as encoding/json reads them: a
// surrogate pair escape is one character, a lone surrogate and every byte
// that is not UTF-8 read as U+FFFD.

// unescape returns the text of a validated JSON string that needs
// unescaping, quotes included.
func unescape(q []byte) string {
	out := make([]byte, 0, len(q))
	eachRune(q, func(r rune) { out = utf8.AppendRune(out, r) })
	return string(out)
}

// appendEscaped appends a validated JSON string that needs unescaping in
// canonical form: read as encoding/json reads it, written as it writes it.
func appendEscaped(dst, q []byte) []byte {
	dst = append(dst, '"')
	eachRune(q, func(r rune) { dst = appendRune(dst, r) })
	return append(dst, '"')
}

// appendRune appends one character of a canonical JSON string.
func appendRune(dst []byte, r rune) []byte {
	switch {
	case r < 0x20 || r == '"' || r == '\\':
		return appendEscape(dst, byte(r))
	case r == '\u2028' || r == '\u2029':
		return append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
	}
	return utf8.AppendRune(dst, r)
}

// eachRune calls fn with each character of a validated JSON string, quotes
// included.
func eachRune(q []byte, fn func(rune)) {
	s := q[1 : len(q)-1]
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && s[i+1] == 'u':
			r := hex4(s[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2 = hex4(s[i+2 : i+6])
				}
				if pair := utf16.DecodeRune(r, r2); pair != unicode.ReplacementChar {
					r = pair
					i += 6
				} else {
					r = unicode.ReplacementChar
				}
			}
			fn(r)
		case c == '\\':
			fn(unescapeByte(s[i+1]))
			i += 2
		case c < utf8.RuneSelf:
			fn(rune(c))
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			fn(r) // utf8.RuneError for a byte that is not UTF-8
			i += size
		}
	}
}

// unescapeByte returns the character of a one-letter escape.
func unescapeByte(c byte) rune {
	switch c {
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return rune(c) // '"', '\\' and '/' stand for themselves
}

// hex4 reads four validated hex digits.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
