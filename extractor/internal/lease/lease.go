// Package lease makes sure that one run per source runs at a time, across
// processes. A lease is a key (the source) in the KV bucket crm_leases,
// created with Create, which fails when the key is present. The holder
// renews it while it runs and deletes it at the end; the bucket's TTL
// (events.LeaseTTL) frees the lease of a holder that crashed.
package lease

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Errors returned by this package.
var (
	// ErrHeld means another run holds the source's lease.
	ErrHeld = errors.New("run lease held by another run")
	// ErrLost means a lease could not be renewed: it expired and another
	// run may have taken it.
	ErrLost = errors.New("run lease lost")
)

// opTimeout bounds one KV operation.
const opTimeout = 5 * time.Second

// Holder describes the run holding a lease.
type Holder struct {
	Run     string      `json:"run"`
	Mode    events.Mode `json:"mode"`
	Who     string      `json:"who"`
	Started time.Time   `json:"started"`
}

// HeldError is the ErrHeld error; it names the holder when it can be read.
type HeldError struct {
	Source string
	Holder Holder
}

// Error implements error.
func (e *HeldError) Error() string {
	if e.Holder.Run == "" {
		return fmt.Sprintf("source %s: %s", e.Source, ErrHeld)
	}
	return fmt.Sprintf("source %s: %s (run %s, %s, by %s since %s)", e.Source, ErrHeld,
		e.Holder.Run, e.Holder.Mode, e.Holder.Who, e.Holder.Started.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrHeld) true.
func (e *HeldError) Is(target error) bool { return target == ErrHeld }

// Lease is a held lease. Its methods are safe for concurrent use.
type Lease struct {
	kv     jetstream.KeyValue
	key    string
	value  []byte
	every  time.Duration
	stop   chan struct{}
	done   chan struct{}
	mu     sync.Mutex // guards rev
	rev    uint64
	closed sync.Once
}

// Bucket opens the lease bucket, which events.Setup created.
func Bucket(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, events.BucketLeases)
	if err != nil {
		return nil, fmt.Errorf("opening bucket %s: %w", events.BucketLeases, err)
	}
	return kv, nil
}

// Acquire takes the lease of source for h, or fails with a *HeldError.
func Acquire(ctx context.Context, kv jetstream.KeyValue, source string, h Holder) (*Lease, error) {
	value, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encoding lease of %s: %w", source, err)
	}
	cctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	rev, err := kv.Create(cctx, source, value)
	if errors.Is(err, jetstream.ErrKeyExists) {
		held := &HeldError{Source: source}
		if cur, err := Current(ctx, kv, source); err == nil && cur != nil {
			held.Holder = *cur
		}
		return nil, held
	}
	if err != nil {
		return nil, fmt.Errorf("creating lease of %s: %w", source, err)
	}
	return &Lease{kv: kv, key: source, value: value, rev: rev}, nil
}

// Current returns the holder of source's lease, nil when it is free.
func Current(ctx context.Context, kv jetstream.KeyValue, source string) (*Holder, error) {
	cctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	e, err := kv.Get(cctx, source)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading lease of %s: %w", source, err)
	}
	var h Holder
	if err := json.Unmarshal(e.Value(), &h); err != nil {
		return nil, fmt.Errorf("decoding lease of %s: %w", source, err)
	}
	return &h, nil
}

// Keep renews the lease every interval until Release. When a renewal
// fails, lost is called once with an ErrLost error, and renewing stops:
// the caller must stop its run.
func (l *Lease) Keep(every time.Duration, lost func(error)) {
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(l.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
			}
			if err := l.renew(); err != nil {
				lost(err)
				return
			}
		}
	}()
}

// renew rewrites the lease, which resets its age, if it is still ours.
func (l *Lease) renew() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	rev, err := l.kv.Update(ctx, l.key, l.value, l.rev)
	if err != nil {
		return fmt.Errorf("renewing lease of %s: %w: %w", l.key, ErrLost, err)
	}
	l.rev = rev
	return nil
}

// Release stops renewing and deletes the lease if it is still ours.
func (l *Lease) Release(ctx context.Context) error {
	var err error
	l.closed.Do(func() {
		if l.stop != nil {
			close(l.stop)
			<-l.done
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		cctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		err = l.kv.Delete(cctx, l.key, jetstream.LastRevision(l.rev))
		if err != nil {
			err = fmt.Errorf("releasing lease of %s: %w", l.key, err)
		}
	})
	return err
}
