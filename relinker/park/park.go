// Package park keeps the relationships whose end node is not yet in the
// graph, in the crm_parked KV bucket, until the relinker can write them.
//
// One entry per start record and field, under the key
// <source>.<module>.<id>.<field>: a record's field points at one record at
// a time, so a new value of the field replaces its parked entry. Every
// part is a safe subject token, so the key is a valid KV key.
package park

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Errors returned by this package. Callers test for them with errors.Is.
var (
	// ErrBadEntry means an entry has a part that cannot be in a key, or a
	// stored value cannot be decoded.
	ErrBadEntry = errors.New("bad parked entry")
)

// Entry is one parked relationship.
type Entry struct {
	Source     string `json:"source"`
	FromModule string `json:"from_module"`
	FromLabel  string `json:"from_label"`
	FromID     string `json:"from_id"`
	Field      string `json:"field"`
	Type       string `json:"type"`
	ToModule   string `json:"to_module"`
	ToLabel    string `json:"to_label"`
	ToID       string `json:"to_id"`
	// Run is the run whose record asked for the relationship.
	Run string `json:"run"`
	// Since is when the entry was first parked.
	Since time.Time `json:"since"`
}

// Key returns the entry's key: <source>.<module>.<id>.<field>.
func (e Entry) Key() (string, error) {
	return Key(e.Source, e.FromModule, e.FromID, e.Field)
}

// Key returns the key of a record's field.
func Key(source, module, id, field string) (string, error) {
	for _, p := range []string{source, module, id, field} {
		if !events.ValidToken(p) {
			return "", fmt.Errorf("key part %q: %w", p, ErrBadEntry)
		}
	}
	return source + "." + module + "." + id + "." + field, nil
}

// RecordPrefix returns the key prefix of every entry of one record.
func RecordPrefix(source, module, id string) string {
	return source + "." + module + "." + id + "."
}

// Store reads and writes parked entries.
type Store struct {
	kv jetstream.KeyValue
}

// Open binds to the crm_parked bucket, which events.Setup creates.
func Open(ctx context.Context, js jetstream.JetStream) (*Store, error) {
	kv, err := js.KeyValue(ctx, events.BucketParked)
	if err != nil {
		return nil, fmt.Errorf("opening bucket %s: %w", events.BucketParked, err)
	}
	return &Store{kv: kv}, nil
}

// All returns every parked entry of source by key. An entry that cannot
// be decoded is an error: it would otherwise be lost silently.
func (s *Store) All(ctx context.Context, source string) (map[string]Entry, error) {
	w, err := s.kv.WatchFiltered(ctx, []string{source + ".>"},
		jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("listing parked relationships of %s: %w", source, err)
	}
	defer func() { _ = w.Stop() }()

	out := make(map[string]Entry)
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case kve, ok := <-w.Updates():
			if !ok {
				return out, nil
			}
			if kve == nil {
				return out, nil // every current value has been delivered
			}
			var e Entry
			if err := json.Unmarshal(kve.Value(), &e); err != nil {
				return nil, fmt.Errorf("parked entry %s: %w: %w", kve.Key(), ErrBadEntry, err)
			}
			out[kve.Key()] = e
		}
	}
}

// Put parks e, replacing the entry of the same record and field.
func (s *Store) Put(ctx context.Context, e Entry) error {
	key, err := e.Key()
	if err != nil {
		return err
	}
	val, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding parked entry %s: %w", key, err)
	}
	if _, err := s.kv.Put(ctx, key, val); err != nil {
		return fmt.Errorf("parking %s: %w", key, err)
	}
	return nil
}

// Delete removes the entry under key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	err := s.kv.Delete(ctx, key)
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("unparking %s: %w", key, err)
	}
	return nil
}
