package load

import "errors"

// Errors of the loader. Callers test for them with errors.Is.
var (
	// ErrStopped means the loader stopped (its context ended) before a
	// chunk was committed; the chunk's messages were not acknowledged.
	ErrStopped = errors.New("loader stopped")
	// ErrUnexpectedMarker means a marker the loader consumes breaks the
	// contract: not an extracted marker, or record sequences that are not
	// below the marker's own.
	ErrUnexpectedMarker = errors.New("unexpected marker")
)
