package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/index"
	"github.com/crmgraph/crmgraph/extractor/internal/lease"
	"github.com/crmgraph/crmgraph/extractor/internal/publish"
	"github.com/crmgraph/crmgraph/extractor/internal/watermark"
	"github.com/crmgraph/crmgraph/extractor/zoho"
)

// finishTimeout bounds publishing the final marker and releasing the lease
// after the run's context ended.
const finishTimeout = 15 * time.Second

// Run is one run of one source, holding the source's lease.
type Run struct {
	r         *Runner
	log       *slog.Logger
	lease     *lease.Lease
	pub       *publish.Publisher
	readStart time.Time       // when reading began
	index     index.Reader    // what the stream holds per record
	snap      *index.Snapshot // the whole source, for full runs
	// probeDenied is set when Zoho refused a probe for want of permission
	// (probe.go), so that no other module is probed.
	probeDenied atomic.Bool

	// ID is the run id, as in crm.run.<source>.<run>.<stage>.
	ID string
	// Mode is full or incremental.
	Mode events.Mode
	// Started is when the run took its lease.
	Started time.Time
}

// outcome is what a run's extraction produced.
type outcome struct {
	modules map[string]*moduleResult
	pub     publish.Result
	fetch   time.Duration
	usage   zoho.Usage
}

// Execute performs the run and releases its lease. It returns the extracted
// marker, or an error after publishing the failed marker. Watermarks move
// only after the extracted marker is acknowledged.
func (x *Run) Execute(ctx context.Context) (*events.Marker, error) {
	r := x.r
	r.met.RunStarted()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	x.lease.Keep(r.cfg.LeaseRenew, cancel)
	defer func() {
		fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
		defer fcancel()
		if err := x.lease.Release(fctx); err != nil {
			x.log.Warn("lease not released", "error", err)
		}
	}()
	x.log.Info("run started", "mode", x.Mode, "source", r.cfg.Source)

	pub, err := publish.New(r.nc, r.cfg.Publish)
	if err != nil {
		return nil, x.fail(ctx, err)
	}
	defer pub.Close()
	x.pub = pub
	out, err := x.extract(ctx)
	if err == nil {
		var mk *events.Marker
		if mk, err = x.finish(ctx, out); err == nil {
			r.met.RunFinished(string(x.Mode), true, time.Since(x.Started))
			return mk, nil
		}
	}
	return nil, x.fail(ctx, err)
}

// extract reads every planned module and publishes its record events, then
// the tombstones, and waits until every publish is acknowledged.
func (x *Run) extract(ctx context.Context) (*outcome, error) {
	r := x.r
	before := r.zoho.Usage()
	x.readStart = time.Now()

	ms, err := x.readModules(ctx)
	if err != nil {
		return nil, err
	}
	fetch := time.Since(x.readStart)
	if err := x.tombstones(ctx, ms); err != nil {
		return nil, err
	}
	res, err := x.pub.Wait(ctx)
	if err != nil {
		return nil, fmt.Errorf("waiting for record events to be stored: %w", err)
	}
	return &outcome{modules: ms, pub: res, fetch: fetch, usage: r.zoho.Usage().Sub(before)}, nil
}

// finish publishes the extracted marker, then advances the watermarks.
func (x *Run) finish(ctx context.Context, out *outcome) (*events.Marker, error) {
	mk := x.marker(events.StageExtracted)
	mk.FirstSeq, mk.LastSeq = out.pub.FirstSeq, out.pub.LastSeq
	mk.Modules = map[string]events.ModuleCounts{}
	for name, m := range out.modules {
		mk.Modules[name] = m.counts
	}
	mk.Zoho = &events.APIUsage{Calls: out.usage.Calls, Pages: out.usage.Pages,
		Retries: out.usage.Retries, Credits: out.usage.Credits,
		FetchSeconds: out.fetch.Seconds()}
	if _, err := x.pub.Marker(ctx, mk); err != nil {
		return nil, err
	}
	if err := x.advance(ctx, out.modules); err != nil {
		// The run is complete and announced; a watermark left behind only
		// makes the next incremental run read more.
		x.log.Warn("watermarks not advanced", "error", err)
	}
	t := mk.Totals()
	x.log.Info("run extracted", "mode", x.Mode, "modules", len(mk.Modules),
		"records", t.Fetched, "changed", t.Changed, "unchanged", t.Unchanged,
		"deleted", t.Deleted, "first_seq", mk.FirstSeq, "last_seq", mk.LastSeq,
		"zoho_calls", out.usage.Calls, "zoho_retries", out.usage.Retries,
		"fetch_seconds", round(out.fetch.Seconds()), "seconds", round(mk.Seconds))
	return mk, nil
}

// advance moves each module's watermark forward to the latest Zoho time the
// run saw, at most the run's start. It never moves one back.
func (x *Run) advance(ctx context.Context, ms map[string]*moduleResult) error {
	var errs []error
	for _, name := range sortedKeys(ms) {
		m := ms[name]
		// A record read early in the run and modified later in it carries a
		// Modified_Time after the run's start: the watermark stops there, so
		// that the next run reads it again.
		latest := m.latest
		if latest.After(x.Started) {
			latest = x.Started
		}
		if latest.IsZero() || (m.hadMark && !latest.After(m.mark.Time)) {
			continue
		}
		mark := watermark.Mark{Time: latest, Run: x.ID}
		if err := x.r.marks.Put(ctx, name, mark); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// fail publishes the failed marker with the reason and returns the error
// the run failed with.
func (x *Run) fail(ctx context.Context, cause error) error {
	r := x.r
	if c := context.Cause(ctx); isInterrupt(cause) && c != nil {
		if errors.Is(c, lease.ErrLost) {
			cause = fmt.Errorf("%w: %w", c, cause)
		} else {
			cause = fmt.Errorf("%w: %w", ErrInterrupted, cause)
		}
	}
	r.met.RunFinished(string(x.Mode), false, time.Since(x.Started))
	mk := x.marker(events.StageFailed)
	mk.Error = cause.Error()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	pub := x.pub
	if pub == nil {
		var err error
		if pub, err = publish.New(r.nc, r.cfg.Publish); err != nil {
			return errors.Join(cause, err)
		}
		defer pub.Close()
	}
	if _, err := pub.Marker(fctx, mk); err != nil {
		x.log.Error("failed marker not published", "error", err)
		return errors.Join(cause, err)
	}
	x.log.Error("run failed", "mode", x.Mode, "error", cause,
		"seconds", round(mk.Seconds))
	return cause
}

// marker returns a marker of the run for stage, timed up to now.
func (x *Run) marker(stage events.Stage) *events.Marker {
	now := time.Now().UTC()
	return &events.Marker{Source: x.r.cfg.Source, Run: x.ID, Stage: stage, Mode: x.Mode,
		Who: x.r.cfg.Who, StartedAt: x.Started, FinishedAt: now,
		Seconds: now.Sub(x.Started).Seconds()}
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// round keeps three decimals, for log lines.
func round(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }
