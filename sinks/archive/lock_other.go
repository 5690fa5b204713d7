//go:build !unix

package archive

// lockDir does nothing where flock is missing.
// TODO(sinks): lock the directory on Windows too (LockFileEx)?
func lockDir(string) (func(), error) { return func() {}, nil }
