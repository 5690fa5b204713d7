package archive

import "errors"

// Errors returned by this package. Callers test for them with errors.Is.
var (
	// ErrBadConfig means a Config value cannot be used; the error names the
	// setting and the accepted values.
	ErrBadConfig = errors.New("bad archive configuration")
	// ErrLocked means another process is archiving into the directory.
	ErrLocked = errors.New("archive directory in use by another process")
	// ErrCorrupt means a sealed archive file cannot be read to its end.
	ErrCorrupt = errors.New("corrupt archive file")
	// ErrBroken means a module's open file could not be written nor
	// repaired; the module takes no record until the process restarts.
	ErrBroken = errors.New("archive module broken")
	// ErrClosed means the archive was closed.
	ErrClosed = errors.New("archive closed")
)
