package events

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Canonicalize returns the canonical JSON form of a record body: object
// keys sorted at every depth, no insignificant whitespace, numbers written
// exactly as they came. Two bodies that differ only in key order or spacing
// have the same canonical form.
func Canonicalize(body []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("decoding record body: %w", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, ErrNotJSONObject
	}
	return CanonicalJSON(v)
}

// CanonicalJSON encodes a decoded JSON value (maps, slices, strings,
// json.Number, float64, bool, nil) in canonical form. encoding/json already
// sorts map keys; HTML escaping is turned off so that '<', '>' and '&' stay
// as they are.
func CanonicalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding record body: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Hash returns the hash of a body that is already canonical: the first 16
// bytes of its SHA-256, in hex.
func Hash(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:16])
}

// CanonicalHash canonicalizes a body and hashes it.
func CanonicalHash(body []byte) (string, error) {
	c, err := Canonicalize(body)
	if err != nil {
		return "", err
	}
	return Hash(c), nil
}
