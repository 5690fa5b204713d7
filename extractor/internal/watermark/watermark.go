// Package watermark keeps the extractor's watermark per source and module
// in the KV bucket crm_watermarks: the latest Zoho time (Modified_Time of a
// record or deleted_time of a deletion) that a completed run saw. An
// incremental run reads what changed since the watermark minus an overlap;
// watermarks advance only after the run's extracted marker is acknowledged.
package watermark

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// opTimeout bounds one KV operation.
const opTimeout = 5 * time.Second

// Mark is the watermark of one module.
type Mark struct {
	// Time is the latest Zoho time a completed run saw, in UTC.
	Time time.Time `json:"time"`
	// Run is the run that set it.
	Run string `json:"run"`
}

// Store reads and writes the watermarks of one source.
type Store struct {
	kv     jetstream.KeyValue
	source string
}

// Open returns the store of source on the bucket events.Setup created.
func Open(ctx context.Context, js jetstream.JetStream, source string) (*Store, error) {
	kv, err := js.KeyValue(ctx, events.BucketWatermarks)
	if err != nil {
		return nil, fmt.Errorf("opening bucket %s: %w", events.BucketWatermarks, err)
	}
	return &Store{kv: kv, source: source}, nil
}

// key is <source>.<module>.
func (s *Store) key(module string) string { return s.source + "." + module }

// Get returns a module's watermark, false when it has none.
func (s *Store) Get(ctx context.Context, module string) (Mark, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	e, err := s.kv.Get(ctx, s.key(module))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Mark{}, false, nil
	}
	if err != nil {
		return Mark{}, false, fmt.Errorf("reading watermark of %s: %w", module, err)
	}
	var m Mark
	if err := json.Unmarshal(e.Value(), &m); err != nil {
		return Mark{}, false, fmt.Errorf("decoding watermark of %s: %w", module, err)
	}
	return m, true, nil
}

// Put sets a module's watermark.
func (s *Store) Put(ctx context.Context, module string, m Mark) error {
	m.Time = m.Time.UTC()
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding watermark of %s: %w", module, err)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := s.kv.Put(ctx, s.key(module), b); err != nil {
		return fmt.Errorf("writing watermark of %s: %w", module, err)
	}
	return nil
}
