package run

import (
	"context"
	"slices"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/index"
	"github.com/crmgraph/crmgraph/extractor/zoho"
)

// tombstones publishes the deletions of the run once every module was read
// completely: for modules read in full, the records the stream holds but
// Zoho did not return; for the others, the records of the deleted-records
// feed that the stream holds alive.
func (x *Run) tombstones(ctx context.Context, ms map[string]*moduleResult) error {
	for _, name := range sortedKeys(ms) {
		m := ms[name]
		n := 0
		if m.full && m.schema {
			vanished, err := x.vanished(ctx, m)
			if err != nil {
				return err
			}
			for _, id := range vanished {
				if err := x.tombstone(ctx, m, id, time.Time{}); err != nil {
					return err
				}
				n++
			}
		}
		for _, d := range m.deletions {
			if _, back := m.seen[d.ID]; back {
				continue // restored since, and read again
			}
			e, ok, err := x.index.Get(ctx, name, d.ID)
			if err != nil {
				return err
			}
			if !ok || e.Deleted {
				continue // never published, or already a tombstone
			}
			m.seen[d.ID] = seenRecord{} // listed twice in the feed: one tombstone
			if err := x.tombstone(ctx, m, d.ID, d.Time); err != nil {
				return err
			}
			n++
		}
		m.counts.Deleted += n
		x.r.met.Published(name, string(events.OpDelete), n)
	}
	return nil
}

// vanished returns the ids of a module's records that the stream holds
// alive and Zoho no longer has, in id order: those the run did not read and
// that a read by id does not return either. A record that moved while its
// module was read in slices can escape the slices; the read by id finds it
// and publishes it instead of a tombstone.
func (x *Run) vanished(ctx context.Context, m *moduleResult) ([]string, error) {
	snap := x.snap
	if snap == nil {
		var err error
		if snap, err = index.LoadModule(ctx, x.r.js, x.r.cfg.Source, m.name); err != nil {
			return nil, err
		}
	}
	var missing []string
	for _, id := range snap.Live(m.name) {
		if _, ok := m.seen[id]; !ok {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	if err := x.confirm(ctx, m, missing); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(missing, func(id string) bool {
		_, found := m.seen[id]
		return found
	}), nil
}

// confirm reads the given records by id, and handles those Zoho still has
// like any record read.
func (x *Run) confirm(ctx context.Context, m *moduleResult, ids []string) error {
	if m.users {
		return nil // Users cannot be read by id; they are read whole every run
	}
	for chunk := range slices.Chunk(ids, zoho.MaxIDs) {
		q := zoho.RecordQuery{Module: m.name, Fields: apiNames(m.fields), IDs: chunk}
		_, err := x.r.zoho.Records(ctx, q, func(p zoho.Page) error {
			return x.page(ctx, m, p, nil)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// tombstone publishes the delete event of one record. Its body is the id
// and, when Zoho said, the deletion time; a vanished record is stamped with
// the start of the run, before which it was deleted.
func (x *Run) tombstone(ctx context.Context, m *moduleResult, id string, at time.Time) error {
	body := map[string]any{"id": id}
	modified := x.readStart.UTC().Truncate(time.Second)
	if !at.IsZero() {
		body["deleted_time"] = zoho.FormatTime(at)
		modified = at.UTC()
	}
	b, err := events.CanonicalJSON(body)
	if err != nil {
		return err
	}
	ev := events.RecordEvent{
		Key:      events.RecordKey{Source: x.r.cfg.Source, Module: m.name, ID: id},
		Op:       events.OpDelete,
		Run:      x.ID,
		Modified: modified,
		Hash:     events.Hash(b),
		Body:     b,
	}
	return x.pub.Record(ctx, ev)
}
