package stream

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Schemas returns the latest schema of every module of source.
func (r *Reader) Schemas(ctx context.Context, source string) ([]*events.Schema, error) {
	filter, err := events.SourceSchemas(source)
	if err != nil {
		return nil, err
	}
	var out []*events.Schema
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter},
		DeliverPolicy:  jetstream.DeliverLastPerSubjectPolicy,
	}
	err = r.read(ctx, cfg, 0, func(msg jetstream.Msg, _ uint64) error {
		s, err := events.DecodeSchema(msg.Headers(), msg.Data())
		if err != nil {
			return fmt.Errorf("schema on %s: %w", msg.Subject(), err)
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the schemas of %s: %w", source, err)
	}
	return out, nil
}
