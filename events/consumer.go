package events

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Durable consumer names of the stages.
const (
	ConsumerLoader   = "loader"
	ConsumerRelinker = "relinker"
)

// LoaderConsumerConfig is the loader's durable pull consumer: every record
// event and every extracted marker, acknowledged one by one after the
// chunk that holds them is committed. MaxAckPending bounds the messages in
// flight across all loader processes, so it must exceed the chunk size
// times the number of loaders. MaxDeliver is unlimited: a message is never
// dropped because Neo4j was down; one that can never be processed goes to
// the dead-letter subject instead.
func LoaderConsumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        ConsumerLoader,
		Description:    "crmgraph loader: record events into graph nodes",
		FilterSubjects: []string{AllRecords, StageMarkers(StageExtracted)},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        2 * time.Minute,
		MaxAckPending:  20000,
		MaxDeliver:     -1,
	}
}

// RelinkerConsumerConfig is the relinker's durable pull consumer on loaded
// markers. One marker is handled at a time, in stream order, across all
// relinker processes. A relink may take minutes; the relinker keeps its
// marker alive with InProgress, so the AckWait only bounds how long a
// crashed relinker holds a marker back.
func RelinkerConsumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       ConsumerRelinker,
		Description:   "crmgraph relinker: loaded markers into relationships",
		FilterSubject: StageMarkers(StageLoaded),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       time.Minute,
		MaxAckPending: 1,
		MaxDeliver:    -1,
	}
}

// SinkConsumerConfig is the durable pull consumer of a new sink named name,
// reading every subject in filters from the start of the stream.
func SinkConsumerConfig(name string, filters ...string) (jetstream.ConsumerConfig, error) {
	if err := checkToken("sink name", name); err != nil {
		return jetstream.ConsumerConfig{}, err
	}
	if len(filters) == 0 {
		filters = []string{AllRecords}
	}
	return jetstream.ConsumerConfig{
		Durable:        name,
		Description:    "crmgraph sink " + name,
		FilterSubjects: filters,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        time.Minute,
		MaxAckPending:  10000,
		MaxDeliver:     -1,
	}, nil
}

// EnsureConsumer creates a durable consumer on the CRM stream or updates
// the one in place to cfg. Updating keeps the consumer's position, so a
// restart with a newer configuration loses nothing. The consumer is never
// deleted here.
func EnsureConsumer(ctx context.Context, js jetstream.JetStream,
	cfg jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	c, err := js.CreateOrUpdateConsumer(ctx, StreamName, cfg)
	if err != nil {
		return nil, fmt.Errorf("creating or updating consumer %s: %w", cfg.Durable, err)
	}
	return c, nil
}

// EnsureStageConsumers creates or updates the loader's and the relinker's
// durable consumers.
func EnsureStageConsumers(ctx context.Context, js jetstream.JetStream) error {
	for _, cfg := range []jetstream.ConsumerConfig{LoaderConsumerConfig(), RelinkerConsumerConfig()} {
		if _, err := EnsureConsumer(ctx, js, cfg); err != nil {
			return err
		}
	}
	return nil
}
