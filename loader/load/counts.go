package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// BucketRuns is the loader's KV bucket of per-run counts, keyed
// <source>.<run>. Every loader process adds its commits to it; the marker
// waiter reads it for the loaded marker.
const BucketRuns = "crm_loader_runs"

// runsTTL is how long a run's counts are kept: far longer than any run
// takes to load.
const runsTTL = 7 * 24 * time.Hour

// runCounts is the value of a run's key.
type runCounts struct {
	events.NodeCounts
	// First and Last are the times of the first and the latest commit
	// that counted records of the run.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

// counter adds and reads per-run counts.
type counter struct {
	kv jetstream.KeyValue
}

// ensureRunsBucket creates or updates the counts bucket.
func ensureRunsBucket(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      BucketRuns,
		Description: "crmgraph loader: node counts per run",
		History:     1,
		TTL:         runsTTL,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("creating or updating bucket %s: %w", BucketRuns, err)
	}
	return kv, nil
}

// runKey is the counts key of a run, or "" when source or run cannot be
// part of a key (a record without a Crm-Run header, for example).
func runKey(source, run string) string {
	if !events.ValidToken(source) || !events.ValidToken(run) {
		return ""
	}
	return source + "." + run
}

// add adds d to a run's counts with compare-and-swap, retrying when
// another loader updated the key first.
func (c *counter) add(ctx context.Context, key string, d events.NodeCounts, at time.Time) error {
	for {
		e, err := c.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			v := runCounts{NodeCounts: d, First: at, Last: at}
			_, err = c.kv.Create(ctx, key, mustJSON(v))
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue
			}
			if err != nil {
				return fmt.Errorf("creating counts of %s: %w", key, err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading counts of %s: %w", key, err)
		}
		var v runCounts
		if err := json.Unmarshal(e.Value(), &v); err != nil {
			v = runCounts{First: at} // unreadable: start again rather than block the run
		}
		addCounts(&v.NodeCounts, d)
		v.Last = at
		_, err = c.kv.Update(ctx, key, mustJSON(v), e.Revision())
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		if err != nil {
			return fmt.Errorf("updating counts of %s: %w", key, err)
		}
		return nil
	}
}

// get returns a run's counts; a run nothing was counted for has zero
// counts.
func (c *counter) get(ctx context.Context, key string) (runCounts, error) {
	e, err := c.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return runCounts{}, nil
	}
	if err != nil {
		return runCounts{}, fmt.Errorf("reading counts of %s: %w", key, err)
	}
	var v runCounts
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return runCounts{}, fmt.Errorf("decoding counts of %s: %w", key, err)
	}
	return v, nil
}

// purge deletes every run's counts, before a replay counts them again.
func (c *counter) purge(ctx context.Context) error {
	keys, err := c.kv.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("listing counts: %w", err)
	}
	for k := range keys.Keys() {
		if err := c.kv.Purge(ctx, k); err != nil {
			return fmt.Errorf("purging counts of %s: %w", k, err)
		}
	}
	return nil
}

func addCounts(c *events.NodeCounts, d events.NodeCounts) {
	c.Created += d.Created
	c.Updated += d.Updated
	c.Deleted += d.Deleted
	c.Stale += d.Stale
	c.DeadLetters += d.DeadLetters
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // unreachable: runCounts always marshals
	}
	return b
}
