package run

import "errors"

// Errors returned by this package.
var (
	// ErrConfig means the runner's configuration is invalid.
	ErrConfig = errors.New("invalid run configuration")
	// ErrNoModules means there was nothing to sync: no configured module and
	// none that settings/modules marks supported.
	ErrNoModules = errors.New("no module to sync")
	// ErrInterrupted means the run was stopped before it completed.
	ErrInterrupted = errors.New("run interrupted")
)
