package relink

import (
	"context"
	"slices"
	"time"

	"github.com/crmgraph/crmgraph/relinker/mapping"
	"github.com/crmgraph/crmgraph/relinker/neo4jw"
	"github.com/crmgraph/crmgraph/relinker/park"
)

// release writes the parked relationships whose end node is now in the
// graph and drops their entries. Entries parked by this pass are skipped:
// their end node was just found missing.
func (p *pass) release(ctx context.Context) error {
	var keys []string
	byLabel := make(map[string][]string)
	for key, e := range p.parked {
		if p.parkedNow[key] {
			continue
		}
		keys = append(keys, key)
		byLabel[e.ToLabel] = append(byLabel[e.ToLabel], e.ToID)
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)

	arrived := make(map[string]map[string]bool, len(byLabel))
	for label, ids := range byLabel {
		found, err := p.r.writer.Nodes(ctx, label, ids)
		if err != nil {
			return err
		}
		arrived[label] = found
	}
	var (
		rels  []neo4jw.Rel
		ready []string
	)
	for _, key := range keys {
		e := p.parked[key]
		if !arrived[e.ToLabel][e.ToID] {
			continue
		}
		rels = append(rels, neo4jw.Rel{FromLabel: e.FromLabel, FromID: e.FromID,
			Field: e.Field, Type: e.Type, ToLabel: e.ToLabel, ToID: e.ToID})
		ready = append(ready, key)
	}
	res, err := p.r.writer.Merge(ctx, p.source, rels)
	if err != nil {
		return err
	}
	unwritten := make(map[int]bool)
	for _, i := range append(res.MissingEnd, res.MissingStart...) {
		unwritten[i] = true
	}
	for i, key := range ready {
		if unwritten[i] {
			continue
		}
		if err := p.unpark(ctx, key); err != nil {
			return err
		}
		p.counts.Released++
	}
	return nil
}

// park stores a link whose end node is missing and returns its key. An
// entry for the same field and target is kept as it is.
func (p *pass) park(ctx context.Context, l mapping.Link) (string, error) {
	e := park.Entry{Source: p.source, FromModule: l.FromModule, FromLabel: l.FromLabel,
		FromID: l.FromID, Field: l.Field, Type: l.Type, ToModule: l.ToModule,
		ToLabel: l.ToLabel, ToID: l.ToID, Run: p.run, Since: time.Now().UTC()}
	key, err := e.Key()
	if err != nil {
		return "", err
	}
	p.parkedNow[key] = true
	old, ok := p.parked[key]
	if ok && old.Type == e.Type && old.ToLabel == e.ToLabel && old.ToID == e.ToID {
		return key, nil
	}
	if err := p.r.parked.Put(ctx, e); err != nil {
		return "", err
	}
	p.parked[key] = e
	if !ok {
		prefix := park.RecordPrefix(e.Source, e.FromModule, e.FromID)
		p.byRecord[prefix] = append(p.byRecord[prefix], key)
	}
	return key, nil
}

// unparkRecord drops the parked entries of one record except those in
// keep: the record was deleted, or its fields now say something else.
func (p *pass) unparkRecord(ctx context.Context, module, id string, keep map[string]bool) error {
	prefix := park.RecordPrefix(p.source, module, id)
	keys := p.byRecord[prefix]
	if len(keys) == 0 {
		return nil
	}
	var left []string
	for _, key := range keys {
		if keep[key] {
			left = append(left, key)
			continue
		}
		if err := p.unpark(ctx, key); err != nil {
			return err
		}
		p.tally.unparked++
	}
	if len(left) == 0 {
		delete(p.byRecord, prefix)
	} else {
		p.byRecord[prefix] = left
	}
	return nil
}

func (p *pass) unpark(ctx context.Context, key string) error {
	if _, ok := p.parked[key]; !ok {
		return nil
	}
	if err := p.r.parked.Delete(ctx, key); err != nil {
		return err
	}
	delete(p.parked, key)
	return nil
}
