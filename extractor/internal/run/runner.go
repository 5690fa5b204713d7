package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/lease"
	"github.com/crmgraph/crmgraph/extractor/internal/metrics"
	"github.com/crmgraph/crmgraph/extractor/internal/watermark"
	"github.com/crmgraph/crmgraph/extractor/zoho"
)

// Runner starts runs of one source. It is safe for concurrent use; the
// lease makes sure that only one run per source runs at a time, in this
// process or any other.
type Runner struct {
	cfg    Config
	zoho   *zoho.Client
	nc     *nats.Conn
	js     jetstream.JetStream
	log    *slog.Logger
	met    *metrics.Metrics
	leases jetstream.KeyValue
	marks  *watermark.Store
}

// Deps are what a Runner works with.
type Deps struct {
	Zoho *zoho.Client
	// Conn and JS are the NATS connection and its JetStream context; the
	// stream and buckets must exist (events.Setup).
	Conn *nats.Conn
	JS   jetstream.JetStream
	Log  *slog.Logger
	// Metrics may be nil.
	Metrics *metrics.Metrics
}

// New returns a runner. It opens the lease and watermark buckets.
func New(ctx context.Context, cfg Config, d Deps) (*Runner, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	leases, err := lease.Bucket(ctx, d.JS)
	if err != nil {
		return nil, err
	}
	marks, err := watermark.Open(ctx, d.JS, cfg.Source)
	if err != nil {
		return nil, err
	}
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{cfg: cfg, zoho: d.Zoho, nc: d.Conn, js: d.JS, log: log, met: d.Metrics,
		leases: leases, marks: marks}, nil
}

// Source returns the source the runner syncs.
func (r *Runner) Source() string { return r.cfg.Source }

// Start takes the source's lease for a new run and returns the run, ready
// to Execute. It fails with an error matching lease.ErrHeld when another
// run holds the lease.
func (r *Runner) Start(ctx context.Context, mode events.Mode) (*Run, error) {
	if _, err := events.ParseMode(string(mode)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	started := time.Now().UTC()
	id := events.NewRunID(started)
	l, err := lease.Acquire(ctx, r.leases, r.cfg.Source, lease.Holder{
		Run: id, Mode: mode, Who: r.cfg.Who, Started: started})
	if err != nil {
		return nil, err
	}
	return &Run{r: r, ID: id, Mode: mode, Started: started, lease: l,
		log: r.log.With("run", id)}, nil
}

// Once starts a run and executes it.
func (r *Runner) Once(ctx context.Context, mode events.Mode) (*events.Marker, error) {
	x, err := r.Start(ctx, mode)
	if err != nil {
		return nil, err
	}
	return x.Execute(ctx)
}

// Holder returns the run holding the source's lease, nil when none does.
func (r *Runner) Holder(ctx context.Context) (*lease.Holder, error) {
	return lease.Current(ctx, r.leases, r.cfg.Source)
}

// isInterrupt reports whether err comes from a cancelled context.
func isInterrupt(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
