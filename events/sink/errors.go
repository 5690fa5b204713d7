package sink

import (
	"errors"
	"fmt"
)

// Errors returned by this package. Callers test for them with errors.Is.
var (
	// ErrBadConfig means a Config or an options value cannot be used; the
	// error names the field and the accepted values.
	ErrBadConfig = errors.New("bad sink configuration")
	// ErrPermanent marks a handler error that no retry can fix. A record
	// whose handler returns it goes to the sink's dead-letter subject
	// and the sink moves on; any other error is retried.
	ErrPermanent = errors.New("permanent sink error")
	// ErrUndecodable means a message on the sink's subjects is not a
	// record event this build can read. It goes to the dead-letter
	// subject.
	ErrUndecodable = errors.New("undecodable record event")
)

// Permanent wraps err with ErrPermanent, for a handler to return when a
// record can never be written.
func Permanent(err error) error {
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}
