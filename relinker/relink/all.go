package relink

import (
	"context"
	"fmt"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/relinker/neo4jw"
	"github.com/crmgraph/crmgraph/relinker/stream"
)

// progressEvery is how often RelinkAll reports its progress.
const progressEvery = 2 * time.Second

// RelinkAll rebuilds every relationship of the configured source from the
// stream: the latest event of every record is derived, diffed and written
// as a run's are; then relationships whose start record the stream no
// longer holds, and parked entries of such records, are removed, and the
// parked entries whose end node has arrived are released. Use it after a
// replay or after the mapping changed. It may run while the relinker
// handles markers: a relationship both create in the same instant is a
// duplicate, which the next diff of its start node removes.
func (r *Relinker) RelinkAll(ctx context.Context) (events.LinkCounts, error) {
	started := time.Now()
	retries := r.writer.Retries()
	source := r.cfg.Source
	p, err := r.newPass(ctx, source, "", true)
	if err != nil {
		return events.LinkCounts{}, err
	}
	total, err := r.reader.Pending(ctx, source)
	if err != nil {
		return events.LinkCounts{}, err
	}
	r.log.Info("relink all started", "source", source, "records", total)

	var st stream.Stats
	done := make(chan struct{})
	go r.progress(done, p, total, started)
	err = p.pipeline(ctx, r.cfg.ChunkSize, func(fn func(stream.Record) error) error {
		var err error
		st, err = r.reader.Latest(ctx, source, fn)
		return err
	})
	close(done)
	if err == nil {
		err = p.sweep(ctx)
	}
	if err == nil {
		err = p.release(ctx)
	}
	if err != nil {
		return p.counts, fmt.Errorf("relinking every record of %s: %w", source, err)
	}
	p.counts.Parked = len(p.parked)
	seconds := time.Since(started).Seconds()
	r.metrics.observe(p.counts, p.tally, seconds)
	r.summary("relink all finished", p, st, r.writer.Retries()-retries, seconds)
	return p.counts, nil
}

// progress logs how far a relink of everything got, every progressEvery,
// until done is closed.
func (r *Relinker) progress(done <-chan struct{}, p *pass, total uint64, started time.Time) {
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			r.log.Info("relink all progress", "source", p.source,
				"records", p.progress.records.Load(), "of", total,
				"created", p.progress.created.Load(), "seconds", time.Since(started).Seconds())
		}
	}
}

// sweep removes the relationships, and the parked entries, of start nodes
// that no upsert of the pass named: their records are deleted, or gone
// from the stream.
func (p *pass) sweep(ctx context.Context) error {
	var stale []neo4jw.Existing
	err := p.r.writer.All(ctx, p.source, func(e neo4jw.Existing) {
		if !p.seen[e.FromLabel+"\x00"+e.FromID] {
			stale = append(stale, e)
		}
	})
	if err != nil {
		return err
	}
	removed, err := p.r.writer.Delete(ctx, stale)
	p.counts.Removed += removed
	if err != nil {
		return err
	}
	for key, e := range p.parked {
		if !p.seen[e.FromLabel+"\x00"+e.FromID] {
			if err := p.unpark(ctx, key); err != nil {
				return err
			}
			p.tally.unparked++
		}
	}
	return nil
}
