package zohosim

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// delayer draws per-call delays uniformly from a range, with a seeded generator.
type delayer struct {
	mu  sync.Mutex
	rnd *rand.Rand
	lat Latency
}

// newDelayer returns a delayer for lat seeded by seed.
func newDelayer(lat Latency, seed int64) *delayer {
	return &delayer{lat: lat, rnd: rand.New(rand.NewPCG(uint64(seed), 0x1a7e))}
}

// next draws the next delay.
func (d *delayer) next() time.Duration {
	if d.lat.Max <= 0 {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lat.Min + time.Duration(d.rnd.Int64N(int64(d.lat.Max-d.lat.Min)+1))
}

// wait sleeps for the next delay, or until ctx is done.
func (d *delayer) wait(ctx context.Context) error {
	delay := d.next()
	if delay == 0 {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
