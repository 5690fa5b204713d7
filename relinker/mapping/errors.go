package mapping

import "errors"

// Errors returned by this package. Callers test for them with errors.Is.
var (
	// ErrBadRule means a rule or an override names an unsafe module, field
	// or relationship type, or lacks what it needs (a type or a target).
	ErrBadRule = errors.New("bad relationship rule")
	// ErrBadBody means a record body is not a JSON object, or a field the
	// rules need is not valid JSON.
	ErrBadBody = errors.New("bad record body")
)
