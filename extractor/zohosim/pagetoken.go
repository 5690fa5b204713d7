package zohosim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// cursor is a position in a module's record order: just after the record (key, idx),
// where key is the sort value (Modified_Time, or the index for id order), with served
// records already returned before it. A zero cursor with start set is the beginning.
type cursor struct {
	start  bool
	key    int64
	idx    int32
	served int32
}

// pageToken is the state a page_token carries. It is self-contained and signed, so
// the simulator keeps nothing per token (except use counts while that fault is on).
type pageToken struct {
	expires int64  // unix milliseconds
	bind    uint64 // hash of the request parameters the token is bound to
	cur     cursor // where the page this token asks for starts
	prev    cursor // where the page before it started, for previous_page_token
	hasPrv  bool
}

// tokenLen is the length of an encoded token before base64: version, flags, issued,
// expiry, bind, two cursors of 16 bytes, and an 8-byte signature.
const tokenLen = 1 + 1 + 8 + 8 + 16 + 16 + 8

// errBadToken is returned for a page_token the simulator did not issue.
var errBadToken = errors.New("malformed page token")

// encode signs t with key and returns it base64url-encoded (78 characters).
func (t pageToken) encode(key []byte) string {
	b := make([]byte, 0, tokenLen)
	flags := byte(0)
	if t.cur.start {
		flags |= 1
	}
	if t.hasPrv {
		flags |= 2
	}
	if t.prev.start {
		flags |= 4
	}
	b = append(b, 1, flags)
	b = binary.BigEndian.AppendUint64(b, uint64(t.expires))
	b = binary.BigEndian.AppendUint64(b, t.bind)
	b = appendCursor(b, t.cur)
	b = appendCursor(b, t.prev)
	b = append(b, sign(key, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// appendCursor appends a cursor's 16 bytes.
func appendCursor(b []byte, c cursor) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(c.key))
	b = binary.BigEndian.AppendUint32(b, uint32(c.idx))
	return binary.BigEndian.AppendUint32(b, uint32(c.served))
}

// readCursor reads a cursor's 16 bytes.
func readCursor(b []byte) cursor {
	return cursor{
		key:    int64(binary.BigEndian.Uint64(b)),
		idx:    int32(binary.BigEndian.Uint32(b[8:])),
		served: int32(binary.BigEndian.Uint32(b[12:])),
	}
}

// sign returns the 8-byte signature of b.
func sign(key, b []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(b)
	return m.Sum(nil)[:8]
}

// decodeToken checks a token's signature and returns its contents.
func decodeToken(s string, key []byte) (pageToken, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != tokenLen || b[0] != 1 {
		return pageToken{}, errBadToken
	}
	body, sig := b[:tokenLen-8], b[tokenLen-8:]
	if !hmac.Equal(sig, sign(key, body)) {
		return pageToken{}, errBadToken
	}
	t := pageToken{
		expires: int64(binary.BigEndian.Uint64(b[2:])),
		bind:    binary.BigEndian.Uint64(b[10:]),
		cur:     readCursor(b[18:]),
		prev:    readCursor(b[34:]),
		hasPrv:  b[1]&2 != 0,
	}
	t.cur.start, t.prev.start = b[1]&1 != 0, b[1]&4 != 0
	return t, nil
}
