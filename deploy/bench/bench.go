package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/deploy/stack"
	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
)

// Bench runs the scenarios against one local stack.
type Bench struct {
	P      *stack.Pipeline
	JS     jetstream.JetStream
	Driver neo4j.DriverWithContext
	Log    *slog.Logger
	// Scale multiplies the simulator's seed-scale dataset.
	Scale int
	// Runs is how many times each scenario runs.
	Runs int
	// Neo4jPID is the Neo4j server's process, whose CPU time the results
	// report; 0 when unknown (a remote server).
	Neo4jPID int

	loader, relinker *stack.Proc
}

// reset empties everything: stops the stages, deletes the stream and the
// buckets, wipes the graph (constraints included), so the next run starts
// as on a new installation.
func (b *Bench) reset(ctx context.Context) error {
	b.stopStages()
	err := b.JS.DeleteStream(ctx, events.StreamName)
	if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("deleting stream %s: %w", events.StreamName, err)
	}
	for _, cfg := range events.BucketConfigs(1) {
		err := b.JS.DeleteKeyValue(ctx, cfg.Bucket)
		if err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
			return fmt.Errorf("deleting bucket %s: %w", cfg.Bucket, err)
		}
	}
	return b.wipeGraph(ctx)
}

func (b *Bench) wipeGraph(ctx context.Context) error {
	if err := neo4jtest.Wipe(ctx, b.Driver); err != nil {
		return fmt.Errorf("wiping the graph: %w", err)
	}
	return nil
}

// startStages starts a loader and a relinker and waits until both are
// ready, so that no scenario times their start.
func (b *Bench) startStages(ctx context.Context) error {
	var err error
	if b.loader, err = b.P.StartStage("loader", "127.0.0.1:0"); err != nil {
		return err
	}
	if b.relinker, err = b.P.StartStage("relinker", "127.0.0.1:0"); err != nil {
		return err
	}
	return b.waitReady(ctx, time.Minute)
}

// waitReady waits until the loader's and the relinker's consumers each
// have a pull request waiting: the stages have set up the stream and their
// consumers and are asking for work.
func (b *Bench) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for _, name := range []string{events.ConsumerLoader, events.ConsumerRelinker} {
		for {
			c, err := b.JS.Consumer(ctx, events.StreamName, name)
			if err == nil {
				var info *jetstream.ConsumerInfo
				if info, err = c.Info(ctx); err == nil && info.NumWaiting > 0 {
					break
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for the %s stage to ask for work: %w (last: %v)",
					name, ctx.Err(), err)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// stopStages stops the loader and the relinker and returns them, stopped.
func (b *Bench) stopStages() []*stack.Proc {
	var stopped []*stack.Proc
	for _, p := range []*stack.Proc{b.loader, b.relinker} {
		if p != nil {
			_ = p.Stop(30 * time.Second)
			stopped = append(stopped, p)
		}
	}
	b.loader, b.relinker = nil, nil
	return stopped
}

// neo4jCPU returns the CPU seconds the Neo4j server has used so far, 0
// when its process is unknown.
func (b *Bench) neo4jCPU() float64 {
	if b.Neo4jPID == 0 {
		return 0
	}
	s, err := stack.CPUSecondsOf(b.Neo4jPID)
	if err != nil {
		b.Log.Warn("reading Neo4j's CPU time", "pid", b.Neo4jPID, "error", err)
		return 0
	}
	return s
}

// sync is one extractor run followed to its linked marker.
type sync struct {
	seconds    float64
	extracted  *events.Marker
	loaded     *events.Marker
	linked     *events.Marker
	extractMB  float64
	extractCPU float64 // the extractor's CPU seconds
	neo4jCPU   float64 // Neo4j's CPU seconds during the sync
	graphWrite int
}

// syncOnce runs the extractor and waits for the run's linked marker; the
// time runs from the extractor's start to the moment the marker is seen.
func (b *Bench) syncOnce(ctx context.Context, mode events.Mode) (*sync, error) {
	start, cpu0 := time.Now(), b.neo4jCPU()
	extracted, proc, err := b.P.Extract(ctx, mode)
	if err != nil {
		return nil, err
	}
	loaded, linked, err := b.P.Markers(ctx, b.JS, extracted.Run)
	if err != nil {
		return nil, err
	}
	s := &sync{seconds: time.Since(start).Seconds(), extracted: extracted, loaded: loaded,
		linked: linked, extractMB: proc.PeakRSSMB(), extractCPU: proc.CPUSeconds(),
		neo4jCPU: b.neo4jCPU() - cpu0}
	if n := loaded.Nodes; n != nil {
		s.graphWrite += n.Created + n.Updated + n.Deleted
	}
	if l := linked.Links; l != nil {
		s.graphWrite += l.Created + l.Removed
	}
	return s, nil
}
