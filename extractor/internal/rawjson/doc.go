// Package rawjson reads JSON without decoding it into Go values, and writes
// the canonical form of a JSON value straight from its bytes.
//
// The extractor handles every record of an organisation on every full run;
// decoding each into map[string]any and encoding it again was most of its
// CPU time. This package scans a page once, hands out each record's members
// as slices of the page, and writes a record's canonical JSON from those
// slices. The canonical form is byte for byte what events.CanonicalJSON
// writes for the same value decoded with json.Number (keys sorted at every
// depth, a repeated key keeping its last value, strings escaped as
// encoding/json escapes them without HTML escaping, numbers as written);
// the package's fuzz test holds it to that.
package rawjson

import "errors"

// Errors returned by this package.
var (
	// ErrSyntax means the input is not valid JSON, or is truncated.
	ErrSyntax = errors.New("invalid JSON")
	// ErrType means a value is not of the JSON type the caller asked for.
	ErrType = errors.New("unexpected JSON type")
	// ErrDepth means values are nested deeper than MaxDepth.
	ErrDepth = errors.New("JSON nested too deep")
)

// MaxDepth is the deepest nesting accepted, as in encoding/json.
const MaxDepth = 10000
