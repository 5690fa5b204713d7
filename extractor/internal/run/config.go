package run

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/publish"
)

// Config configures a Runner.
type Config struct {
	// Source names the Zoho organisation in subjects and keys. Default zoho.
	Source string
	// Modules lists the modules to sync; empty means every module
	// settings/modules marks api_supported. Users are always synced.
	Modules []string
	// Overlap is subtracted from a watermark before an incremental read, so
	// that records edited in the same second as the last read, or made
	// visible late, are read again (and skipped when unchanged). Default 2m.
	Overlap time.Duration
	// Publish tunes the publisher (window, stall wait).
	Publish publish.Options
	// Progress is the interval of the progress lines. Default 5s.
	Progress time.Duration
	// LeaseRenew is how often the lease is renewed. Default LeaseTTL/3.
	LeaseRenew time.Duration
	// Workers is how many records of a page are prepared (hashed and
	// looked up) at once. Default 2 x GOMAXPROCS, at least 8.
	Workers int
	// Who names this process in markers and leases. Default host:pid.
	Who string
	// NoProbe skips learning, by COQL, the sizes and times of the modules
	// the stream holds nothing of before a full run (probe.go); they are
	// then read as one chain each. Probing needs the ZohoCRM.coql.READ
	// scope, and goes without it.
	NoProbe bool
}

func (c *Config) setDefaults() {
	if c.Source == "" {
		c.Source = "zoho"
	}
	if c.Overlap == 0 {
		c.Overlap = 2 * time.Minute
	}
	if c.Progress == 0 {
		c.Progress = 5 * time.Second
	}
	if c.LeaseRenew == 0 {
		c.LeaseRenew = events.LeaseTTL / 3
	}
	if c.Workers == 0 {
		c.Workers = max(8, 2*runtime.GOMAXPROCS(0))
	}
	if c.Who == "" {
		host, _ := os.Hostname()
		c.Who = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
}

// Validate reports the first setting out of range.
func (c *Config) Validate() error {
	if !events.ValidToken(c.Source) {
		return fmt.Errorf("source %q: want letters, digits, '_' or '-': %w",
			c.Source, ErrConfig)
	}
	for _, m := range c.Modules {
		if !events.ValidToken(m) {
			return fmt.Errorf("module %q: want a Zoho API name: %w", m, ErrConfig)
		}
	}
	if c.Overlap < 0 {
		return fmt.Errorf("overlap %s: must not be negative: %w", c.Overlap, ErrConfig)
	}
	if c.LeaseRenew <= 0 || c.LeaseRenew >= events.LeaseTTL {
		return fmt.Errorf("lease renewal %s: want more than 0 and less than %s: %w",
			c.LeaseRenew, events.LeaseTTL, ErrConfig)
	}
	return nil
}
