package index

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Direct answers from the stream itself, one direct get per record. It
// suits incremental runs, which look at few records.
type Direct struct {
	stream jetstream.Stream
	source string
}

// NewDirect returns a Direct reader for source.
func NewDirect(ctx context.Context, js jetstream.JetStream, source string) (*Direct, error) {
	s, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return nil, fmt.Errorf("reading stream %s: %w", events.StreamName, err)
	}
	return &Direct{stream: s, source: source}, nil
}

// Get returns the latest event of a record.
func (d *Direct) Get(ctx context.Context, module, id string) (Entry, bool, error) {
	key := events.RecordKey{Source: d.source, Module: module, ID: id}
	subject, err := key.Subject()
	if err != nil {
		return Entry{}, false, err
	}
	m, err := d.stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("reading the latest event of %s: %w", key, err)
	}
	return entryOf(m.Header), true, nil
}
