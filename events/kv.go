package events

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// KV buckets of the stages.
const (
	// BucketWatermarks holds the extractor's watermark per source and
	// module: the Modified_Time up to which a module is known extracted.
	BucketWatermarks = "crm_watermarks"
	// BucketLeases holds one lease per source while a run is in progress,
	// so only one run per source runs at a time across processes.
	BucketLeases = "crm_leases"
	// BucketParked holds relationships whose end node is not yet in the
	// graph, until the relinker can write them.
	BucketParked = "crm_parked"
)

// LeaseTTL is how long a run lease lives unless its holder renews it; a
// crashed extractor blocks its source for at most this long.
const LeaseTTL = time.Minute

// BucketConfigs returns the configuration of every bucket the stages use,
// with the given replica count (zero means 1).
func BucketConfigs(replicas int) []jetstream.KeyValueConfig {
	if replicas == 0 {
		replicas = 1
	}
	return []jetstream.KeyValueConfig{
		{
			Bucket:      BucketWatermarks,
			Description: "crmgraph extractor watermarks per source and module",
			History:     5,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		},
		{
			Bucket:      BucketLeases,
			Description: "crmgraph run leases, one per source",
			History:     1,
			TTL:         LeaseTTL,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		},
		{
			Bucket:      BucketParked,
			Description: "crmgraph relationships waiting for their end node",
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		},
	}
}

// EnsureBuckets creates or updates every bucket the stages use. With
// replicas zero, an existing bucket keeps its replica count, as the stream
// does in EnsureStream.
func EnsureBuckets(ctx context.Context, js jetstream.JetStream, replicas int) error {
	for _, cfg := range BucketConfigs(replicas) {
		if replicas == 0 {
			if kv, err := js.KeyValue(ctx, cfg.Bucket); err == nil {
				st, err := kv.Status(ctx)
				if err != nil {
					return fmt.Errorf("reading bucket %s: %w", cfg.Bucket, err)
				}
				cfg.Replicas = st.(*jetstream.KeyValueBucketStatus).StreamInfo().Config.Replicas
			}
		}
		if _, err := js.CreateOrUpdateKeyValue(ctx, cfg); err != nil {
			return fmt.Errorf("creating or updating bucket %s: %w", cfg.Bucket, err)
		}
	}
	return nil
}

// Setup makes the stream, the stage consumers and the buckets converge to
// this package's configuration. Every stage calls it at start; it is safe
// to run any number of times, from any number of processes.
func Setup(ctx context.Context, js jetstream.JetStream, o StreamOptions) error {
	if _, err := EnsureStream(ctx, js, o); err != nil {
		return err
	}
	if err := EnsureStageConsumers(ctx, js); err != nil {
		return err
	}
	return EnsureBuckets(ctx, js, o.Replicas)
}
