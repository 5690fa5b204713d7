package run

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/index"
	"github.com/crmgraph/crmgraph/extractor/internal/watermark"
	"github.com/crmgraph/crmgraph/extractor/zoho"
)

// modifiedField is the field incremental reads filter on.
const modifiedField = "Modified_Time"

// moduleResult is what the run did with one module.
type moduleResult struct {
	name  string
	users bool

	// Set before the module is read, then only read.
	fields   []zoho.Field
	modified bool           // the module has Modified_Time
	mark     watermark.Mark // the watermark before the run
	hadMark  bool
	since    time.Time // If-Modified-Since of the read; zero for a full read
	// full reports that every record of the module is read, so that the
	// records it did not return have vanished.
	full   bool
	slices []span // how the module is read: one span, or slices side by side
	schema bool   // the schema was published
	// times are the Modified_Times of the module's records, in Unix
	// seconds and ascending order, as Zoho told them before the read
	// (probe.go); probed reports that it did.
	times  []int64
	probed bool

	mu sync.Mutex // guards the fields below while slices are read
	// seen holds what was read of each record, so that a record returned
	// twice is published once (or again when it changed in between) and
	// vanished records can be told.
	seen   map[string]seenRecord
	counts events.ModuleCounts
	// latest is the latest Modified_Time or deleted_time the run saw.
	latest    time.Time
	deletions []zoho.Deletion
	stats     zoho.FetchStats
	took      time.Duration
}

// seenRecord is the version of a record the run handled last.
type seenRecord struct {
	modified int64
	hash     index.Hash
}

// readModules reads every planned module and publishes their record
// events: first the fields, schemas and watermarks of all modules, then
// the records of all modules side by side.
func (x *Run) readModules(ctx context.Context) (map[string]*moduleResult, error) {
	var names []string
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		names, err = x.plan(gctx)
		return err
	})
	g.Go(func() error { return x.openIndex(gctx) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	ms := make(map[string]*moduleResult, len(names))
	g, gctx = errgroup.WithContext(ctx)
	for _, name := range names {
		m := &moduleResult{name: name, users: name == zoho.UsersModule,
			seen: map[string]seenRecord{}}
		ms[name] = m
		g.Go(func() error { return x.describe(gctx, m) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	order := x.sliceModules(ms)
	x.orderLarge(ms)

	// The longest chains of pages start first, so that they are first in
	// line for the concurrency slots.
	prog := newProgress(x.log, x.r.cfg.Progress)
	defer prog.stop()
	g, gctx = errgroup.WithContext(ctx)
	for _, m := range order {
		if m.users || m.schema {
			g.Go(func() error { return x.readModule(gctx, m, prog) })
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return ms, nil
}

// openIndex gives the run its view of the stream: a snapshot of the whole
// source for a full run, direct reads for an incremental one.
func (x *Run) openIndex(ctx context.Context) error {
	r := x.r
	start := time.Now()
	if x.Mode == events.ModeIncremental {
		d, err := index.NewDirect(ctx, r.js, r.cfg.Source)
		x.index = d
		return err
	}
	snap, err := index.Load(ctx, r.js, r.cfg.Source)
	if err != nil {
		return err
	}
	x.index, x.snap = snap, snap
	x.log.Info("index loaded", "records", snap.Len(),
		"seconds", round(time.Since(start).Seconds()))
	return nil
}

// describe reads a module's fields and watermark, publishes its schema and
// decides how much of it to read: everything (full runs, modules without
// Modified_Time or without a watermark) or what changed since the
// watermark minus the overlap.
func (x *Run) describe(ctx context.Context, m *moduleResult) error {
	r := x.r
	if !m.users {
		fields, err := r.zoho.Fields(ctx, m.name)
		if err != nil {
			return err
		}
		if len(fields) == 0 {
			x.log.Warn("module skipped: Zoho lists no fields", "module", m.name)
			return nil
		}
		m.fields = fields
		s := schemaOf(r.cfg.Source, x.ID, m.name, fields)
		if err := x.publishSchema(ctx, m, s); err != nil {
			return err
		}
	}
	m.modified = m.users || slices.ContainsFunc(m.fields, func(f zoho.Field) bool {
		return f.APIName == modifiedField
	})
	mark, ok, err := r.marks.Get(ctx, m.name)
	if err != nil {
		return err
	}
	m.mark, m.hadMark = mark, ok
	m.full = x.Mode == events.ModeFull || !m.modified || !ok
	if !m.full {
		m.since = mark.Time.Add(-r.cfg.Overlap)
	}
	m.slices = []span{{since: m.since}}
	if x.shouldProbe(m) {
		return x.probe(ctx, m)
	}
	return nil
}

// readModule reads one module's records, slice by slice side by side, and
// for an incremental read its deleted-records feed.
func (x *Run) readModule(ctx context.Context, m *moduleResult, prog *progress) error {
	start := time.Now()
	r := x.r
	prog.begin(m.name)
	handle := func(p zoho.Page) error { return x.page(ctx, m, p, prog) }
	if m.users {
		st, err := r.zoho.Users(ctx, m.since, handle)
		if err != nil {
			return err
		}
		m.addStats(st)
	} else {
		g, gctx := errgroup.WithContext(ctx)
		for _, sp := range m.slices {
			g.Go(func() error {
				q := zoho.RecordQuery{Module: m.name, Fields: apiNames(m.fields),
					Since: sp.since, Until: sp.until, Ordered: sp.ordered, Pages: sp.pages}
				st, err := r.zoho.Records(gctx, q, func(p zoho.Page) error {
					return x.page(gctx, m, p, prog)
				})
				m.addStats(st)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	if !m.full && !m.users {
		if err := x.readDeleted(ctx, m); err != nil {
			return err
		}
	}
	m.took = time.Since(start)
	prog.end(m.name, m.counts, m.took)
	if m.stats.Incomplete > 0 {
		x.log.Warn("records deleted while read", "module", m.name,
			"records", m.stats.Incomplete)
	}
	return nil
}

func (m *moduleResult) addStats(st zoho.FetchStats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.Pages += st.Pages
	m.stats.Records += st.Records
	m.stats.Incomplete += st.Incomplete
	m.stats.Groups = max(m.stats.Groups, st.Groups)
}

// readDeleted reads the deleted-records feed since the read's start; the
// tombstones are published only when every module was read.
func (x *Run) readDeleted(ctx context.Context, m *moduleResult) error {
	return x.r.zoho.Deleted(ctx, m.name, m.since, func(ds []zoho.Deletion) error {
		for _, d := range ds {
			if d.Time.After(m.latest) {
				m.latest = d.Time
			}
		}
		m.deletions = append(m.deletions, ds...)
		return nil
	})
}

func (x *Run) publishSchema(ctx context.Context, m *moduleResult, s *events.Schema) error {
	if err := x.pub.Schema(ctx, s); err != nil {
		return fmt.Errorf("module %s: %w", m.name, err)
	}
	m.schema = true
	return nil
}

func apiNames(fields []zoho.Field) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.APIName
	}
	return names
}
