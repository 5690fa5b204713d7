package run

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/index"
	"github.com/crmgraph/crmgraph/extractor/internal/rawjson"
	"github.com/crmgraph/crmgraph/extractor/zoho"
)

// prepared is a record ready to be published or skipped.
type prepared struct {
	ev      events.RecordEvent
	hash    index.Hash // ev.Hash in binary
	invalid error      // the id cannot be a subject token
	entry   index.Entry
	known   bool // the stream holds an event of the record
}

// unchanged reports whether the stream's latest event of the record is an
// upsert with the same hash.
func (p *prepared) unchanged() bool {
	return p.known && !p.entry.Deleted && p.entry.Hash == p.hash
}

// page handles one page of a module: it prepares the records in parallel,
// then publishes those that changed, in page order.
func (x *Run) page(ctx context.Context, m *moduleResult, p zoho.Page, prog *progress) error {
	if m.users && !m.schema {
		if err := x.publishSchema(ctx, m, usersSchema(x.r.cfg.Source, x.ID, p.Records)); err != nil {
			return err
		}
	}
	preps, err := x.prepareAll(ctx, m.name, p.Records)
	if err != nil {
		return err
	}
	changed, unchanged, err := x.decide(ctx, m, preps)
	if err != nil {
		return err
	}
	x.r.met.Fetched(m.name, len(preps))
	x.r.met.Published(m.name, string(events.OpUpsert), changed)
	x.r.met.Unchanged(m.name, unchanged)
	prog.add(m.name, len(preps))
	return nil
}

// decide publishes the prepared records that changed, in page order. A
// record read a second time (slices overlap at their bounds, and a record
// modified during the run moves) is published again only when it changed
// since.
func (x *Run) decide(ctx context.Context, m *moduleResult, preps []prepared) (
	changed, unchanged int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range preps {
		pr := &preps[i]
		if pr.invalid != nil {
			x.log.Warn("record skipped", "module", m.name, "error", pr.invalid)
			continue
		}
		id, mod := pr.ev.Key.ID, pr.ev.Modified.Unix()
		if pr.ev.Modified.IsZero() {
			mod = 0
		}
		prev, again := m.seen[id]
		if again && (mod < prev.modified || pr.hash == prev.hash) {
			continue
		}
		m.seen[id] = seenRecord{modified: mod, hash: pr.hash}
		if pr.ev.Modified.After(m.latest) {
			m.latest = pr.ev.Modified
		}
		if !again {
			m.counts.Fetched++
			if pr.unchanged() {
				unchanged++
				continue
			}
		}
		if err := x.pub.Record(ctx, pr.ev); err != nil {
			return changed, unchanged, err
		}
		changed++
	}
	m.counts.Changed += changed
	m.counts.Unchanged += unchanged
	return changed, unchanged, nil
}

// prepareAll canonicalises, hashes and looks up the records of a page, a
// share of them per worker.
func (x *Run) prepareAll(ctx context.Context, module string,
	recs []zoho.Record) ([]prepared, error) {
	preps := make([]prepared, len(recs))
	workers := min(x.r.cfg.Workers, len(recs))
	if workers <= 1 {
		for i, rec := range recs {
			if err := x.prepare(ctx, module, rec, &preps[i]); err != nil {
				return nil, err
			}
		}
		return preps, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	for w := range workers {
		g.Go(func() error {
			for i := w; i < len(recs); i += workers {
				if err := x.prepare(gctx, module, recs[i], &preps[i]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return preps, g.Wait()
}

// prepare builds the record event of one record and reads what the stream
// holds for it.
func (x *Run) prepare(ctx context.Context, module string, rec zoho.Record, p *prepared) error {
	key := events.RecordKey{Source: x.r.cfg.Source, Module: module, ID: rec.ID()}
	p.ev = events.RecordEvent{Key: key, Op: events.OpUpsert, Run: x.ID}
	if err := key.Validate(); err != nil {
		p.invalid = err
		return nil
	}
	c := canonicalizers.Get().(*rawjson.Canonicalizer)
	body, err := c.AppendObject(make([]byte, 0, recordSize(&rec)), rec.Members)
	canonicalizers.Put(c)
	if err != nil {
		return fmt.Errorf("record %s: %w", key, err)
	}
	p.ev.Body, p.ev.Hash = body, events.Hash(body)
	p.hash = mustHash(p.ev.Hash)
	if t, ok := rec.Modified(); ok {
		p.ev.Modified = t.UTC()
	}
	p.entry, p.known, err = x.index.Get(ctx, module, key.ID)
	return err
}

// canonicalizers keep what they learned of a module's record shape from
// one page to the next.
var canonicalizers = sync.Pool{New: func() any { return new(rawjson.Canonicalizer) }}

// mustHash reads a hash this package computed, which is always well formed.
func mustHash(s string) index.Hash {
	h, err := index.ParseHash(s)
	if err != nil {
		panic(err) // unreachable: events.Hash writes 32 hex digits
	}
	return h
}

// recordSize guesses the size of a record's canonical form from its raw
// members, so that the body is allocated once.
func recordSize(r *zoho.Record) int {
	n := 2
	for _, m := range r.Members {
		n += len(m.Key) + len(m.Value) + 4
	}
	return n
}
