package archive

import (
	"fmt"
	"time"
)

// Defaults of Config.
const (
	DefaultMaxFileBytes   = 64 << 20
	DefaultMaxFileRecords = 100000
	DefaultMaxFileAge     = time.Hour
)

// Config says where the archive goes and when its files are sealed.
type Config struct {
	// Dir is the archive's root directory, created if missing. One
	// process at a time archives into it.
	Dir string
	// MaxFileBytes seals a file once its compressed size reaches it.
	// Zero means DefaultMaxFileBytes.
	MaxFileBytes int64
	// MaxFileRecords seals a file once it holds this many records. Zero
	// means DefaultMaxFileRecords.
	MaxFileRecords int
	// MaxFileAge seals a file this long after its first record, however
	// small, so that quiet modules still produce sealed files. Zero means
	// DefaultMaxFileAge; negative means never.
	MaxFileAge time.Duration
	// Sync flushes every record to stable storage (fsync) before it is
	// acknowledged, which survives a power loss but costs a disk flush per
	// record. Without it a record reaches the operating system before it
	// is acknowledged, which survives a crash of the process, and files
	// are flushed to stable storage when sealed.
	Sync bool
}

func (c *Config) setDefaults() {
	if c.MaxFileBytes == 0 {
		c.MaxFileBytes = DefaultMaxFileBytes
	}
	if c.MaxFileRecords == 0 {
		c.MaxFileRecords = DefaultMaxFileRecords
	}
	if c.MaxFileAge == 0 {
		c.MaxFileAge = DefaultMaxFileAge
	}
}

// Validate reports the first unusable setting, after defaults.
func (c Config) Validate() error {
	c.setDefaults()
	switch {
	case c.Dir == "":
		return fmt.Errorf("archive directory: must not be empty: %w", ErrBadConfig)
	case c.MaxFileBytes < 1<<10:
		return fmt.Errorf("max file bytes %d: want at least 1024: %w", c.MaxFileBytes, ErrBadConfig)
	case c.MaxFileRecords < 1:
		return fmt.Errorf("max file records %d: want at least 1: %w", c.MaxFileRecords, ErrBadConfig)
	}
	return nil
}
