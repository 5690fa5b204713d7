package relink

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/relinker/stream"
)

// HandleMarker relinks the run a loaded marker announces and publishes the
// run's linked marker, which it returns. Running it again for the same
// marker changes nothing in the graph: every relationship is then
// unchanged. Errors that retrying cannot fix wrap ErrPermanent.
func (r *Relinker) HandleMarker(ctx context.Context,
	loaded *events.Marker) (*events.Marker, error) {
	if loaded.Stage != events.StageLoaded {
		return nil, fmt.Errorf("marker of run %s is %s, want %s: %w",
			loaded.Run, loaded.Stage, events.StageLoaded, ErrPermanent)
	}
	started := time.Now()
	retries := r.writer.Retries()
	p, err := r.newPass(ctx, loaded.Source, loaded.Run, false)
	if err != nil {
		r.metrics.failed()
		return nil, err
	}

	var st stream.Stats
	err = p.pipeline(ctx, r.cfg.ChunkSize, func(fn func(stream.Record) error) error {
		var err error
		st, err = r.reader.Run(ctx, loaded.Source, loaded.Run, loaded.FirstSeq,
			loaded.LastSeq, fn)
		return err
	})
	if err == nil {
		err = p.release(ctx)
	}
	if err != nil {
		r.metrics.failed()
		if errors.Is(err, stream.ErrBadRange) {
			err = fmt.Errorf("%w: %w", ErrPermanent, err)
		}
		return nil, fmt.Errorf("relinking run %s of %s: %w", loaded.Run, loaded.Source, err)
	}
	p.counts.Parked = len(p.parked)

	finished := time.Now()
	linked := &events.Marker{
		Source: loaded.Source, Run: loaded.Run, Stage: events.StageLinked, Mode: loaded.Mode,
		Who: r.cfg.Who, StartedAt: started.UTC(), FinishedAt: finished.UTC(),
		Seconds:  finished.Sub(started).Seconds(),
		FirstSeq: loaded.FirstSeq, LastSeq: loaded.LastSeq, Links: &p.counts,
	}
	if err := r.publish(ctx, linked); err != nil {
		r.metrics.failed()
		return nil, err
	}
	r.metrics.observe(p.counts, p.tally, linked.Seconds)
	r.summary("run linked", p, st, r.writer.Retries()-retries, linked.Seconds)
	return linked, nil
}

// publish publishes a marker and waits for the stream's acknowledgement.
func (r *Relinker) publish(ctx context.Context, m *events.Marker) error {
	msg, err := m.Msg()
	if err != nil {
		return err
	}
	if _, err := r.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("publishing %s marker of run %s: %w", m.Stage, m.Run, err)
	}
	return nil
}

// summary logs what a pass did.
func (r *Relinker) summary(msg string, p *pass, st stream.Stats, retries int64, seconds float64) {
	level := r.log.Info
	if p.tally.undecodable > 0 || p.tally.orphans > 0 {
		level = r.log.Warn
	}
	level(msg, "source", p.source, "run", p.run, "records", p.tally.records,
		"deletes", p.tally.deletes, "other_runs", st.OtherRuns, "links", p.tally.links,
		"created", p.counts.Created, "unchanged", p.counts.Unchanged,
		"removed", p.counts.Removed, "parked", p.counts.Parked,
		"released", p.counts.Released, "unparked", p.tally.unparked,
		"dropped", p.tally.dropped, "undecodable", p.tally.undecodable,
		"orphans", p.tally.orphans, "retries", retries,
		"write_failures", r.writer.Failures(), "seconds", seconds)
}
