package relink

import (
	"cmp"
	"context"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/relinker/mapping"
	"github.com/crmgraph/crmgraph/relinker/neo4jw"
	"github.com/crmgraph/crmgraph/relinker/park"
	"github.com/crmgraph/crmgraph/relinker/stream"
)

// pass is one relink: of one run, or of every record of a source.
type pass struct {
	r      *Relinker
	source string
	run    string // the run relinked, for parked entries and logs
	m      *mapping.Mapping

	// parked holds the source's parked entries by key, kept in step with
	// the bucket; byRecord indexes their keys by record prefix.
	parked   map[string]park.Entry
	byRecord map[string][]string
	// parkedNow holds the keys (re)parked by this pass: their end node
	// was just found missing, so release skips them.
	parkedNow map[string]bool
	// existing reports whether the graph may hold relationships of the
	// source; when it holds none, nothing needs reading before writing.
	existing bool
	// seen holds the start nodes (label, id) of every upserted record,
	// when the pass must sweep relationships of records it did not see.
	// TODO(relinker): seen grows with the CRM (about 60 bytes a record);
	// at millions of records, should the sweep compare sorted runs instead?
	seen map[string]bool

	counts events.LinkCounts
	tally  tally
	// progress mirrors a few counts for the progress log, which reads
	// them from another goroutine.
	progress struct {
		records atomic.Int64
		created atomic.Int64
	}
}

// tally counts what a pass saw beside the marker's counts. The reading
// goroutine writes records, deletes, links, dropped and undecodable; the
// writing goroutine the others; both are read after both are done.
type tally struct {
	records     int // record events handled
	deletes     int // of which tombstones
	links       int // links the records imply
	dropped     int // lookups that cannot name a node
	undecodable int // records whose body or module could not be read
	orphans     int // links whose start node is missing
	unparked    int // parked entries dropped: the record changed or is gone
}

func (r *Relinker) newPass(ctx context.Context, source, run string, sweep bool) (*pass, error) {
	m, err := r.Mapping(ctx, source)
	if err != nil {
		return nil, err
	}
	parked, err := r.parked.All(ctx, source)
	if err != nil {
		return nil, err
	}
	existing, err := r.writer.Any(ctx, source)
	if err != nil {
		return nil, err
	}
	p := &pass{r: r, source: source, run: run, m: m, parked: parked,
		byRecord: make(map[string][]string), parkedNow: make(map[string]bool),
		existing: existing}
	for key, e := range parked {
		prefix := park.RecordPrefix(e.Source, e.FromModule, e.FromID)
		p.byRecord[prefix] = append(p.byRecord[prefix], key)
	}
	if sweep {
		p.seen = make(map[string]bool)
	}
	return p, nil
}

// upsert is one upserted record of a chunk and its links, links[from:to].
type upsert struct {
	module, label, id string
	from, to          int
}

// chunk is what a run of records implies, derived and ready to diff.
type chunk struct {
	records int
	links   []mapping.Link
	upserts []upsert
	// deletes holds the module and id of each tombstone.
	deletes [][2]string
}

// pipeline reads records with read, derives them in chunks of size
// records, and diffs and writes each chunk while the next one is read:
// reading and deriving overlap with writing, and a record's body is held
// only while it is derived.
func (p *pass) pipeline(ctx context.Context, size int,
	read func(fn func(stream.Record) error) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan *chunk, 1)
	readErr := make(chan error, 1)
	go func() {
		defer close(chunks)
		c := &chunk{}
		send := func() error {
			select {
			case chunks <- c:
				c = &chunk{}
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err := read(func(rec stream.Record) error {
			p.derive(rec, c)
			if c.records < size {
				return nil
			}
			return send()
		})
		if err == nil && c.records > 0 {
			err = send()
		}
		readErr <- err
	}()

	for c := range chunks {
		if err := p.write(ctx, c); err != nil {
			cancel()
			for range chunks { // let the reader stop
			}
			return err
		}
	}
	return <-readErr
}

// derive adds a record's links (or its tombstone) to c.
func (p *pass) derive(rec stream.Record, c *chunk) {
	c.records++
	p.tally.records++
	p.progress.records.Add(1)
	if rec.Op == events.OpDelete {
		p.tally.deletes++
		c.deletes = append(c.deletes, [2]string{rec.Module, rec.ID})
		return
	}
	mod, err := p.m.Module(rec.Module)
	if err != nil {
		p.tally.undecodable++
		p.r.log.Warn("record module has no safe label", "run", p.run,
			"module", rec.Module, "error", err)
		return
	}
	from := len(c.links)
	links, dropped, err := mod.Derive(rec.ID, rec.Body, c.links)
	if err != nil {
		p.tally.undecodable++
		p.r.log.Warn("record body undecodable", "run", p.run, "module", rec.Module,
			"id", rec.ID, "seq", rec.Seq, "error", err)
		return
	}
	c.links = links
	p.tally.dropped += dropped
	p.tally.links += len(links) - from
	c.upserts = append(c.upserts, upsert{module: rec.Module, label: mod.Label, id: rec.ID,
		from: from, to: len(links)})
}

// write diffs a chunk's links against the graph and writes the difference.
func (p *pass) write(ctx context.Context, c *chunk) error {
	start := time.Now()
	for _, d := range c.deletes {
		if err := p.unparkRecord(ctx, d[0], d[1], nil); err != nil {
			return err
		}
	}
	have, nodes, err := p.lookup(ctx, c)
	if err != nil {
		return err
	}
	read := time.Now()

	var (
		create []neo4jw.Rel
		index  []int // index of each created row in c.links
		remove []neo4jw.Existing
	)
	for _, u := range c.upserts {
		old := have[u.label+"\x00"+u.id]
		kept := make([]bool, len(old))
		for i := u.from; i < u.to; i++ {
			rel := toRel(c.links[i])
			if j := match(old, kept, rel); j >= 0 {
				kept[j] = true
				p.counts.Unchanged++
				continue
			}
			create = append(create, rel)
			index = append(index, i)
		}
		for j, e := range old {
			if !kept[j] {
				remove = append(remove, e)
			}
		}
		if p.seen != nil {
			p.seen[u.label+"\x00"+u.id] = true
		}
	}

	// Old relationships go first: a changed lookup frees its node locks
	// and its field before the new relationship is made.
	removed, err := p.r.writer.Delete(ctx, remove)
	p.counts.Removed += removed
	if err != nil {
		return err
	}
	res, err := p.r.writer.CreateAt(ctx, p.source, create, nodes)
	if err != nil {
		return err
	}
	p.counts.Created += res.Created
	p.counts.Unchanged += res.Existed
	p.tally.orphans += len(res.MissingStart)
	p.progress.created.Add(int64(res.Created))

	keep := make(map[string]bool, len(res.MissingEnd))
	for _, i := range res.MissingEnd {
		key, err := p.park(ctx, c.links[index[i]])
		if err != nil {
			return err
		}
		keep[key] = true
	}
	for _, u := range c.upserts {
		if err := p.unparkRecord(ctx, u.module, u.id, keep); err != nil {
			return err
		}
	}
	p.r.log.Debug("chunk relinked", "run", p.run, "records", c.records,
		"created", res.Created, "removed", removed, "parked", len(res.MissingEnd),
		"read_seconds", read.Sub(start).Seconds(),
		"write_seconds", time.Since(read).Seconds())
	return nil
}

// lookup finds the nodes of a chunk's records and of the ends of their
// links, with one statement per label, and reads the relationships that
// start at the records' nodes (unless the graph holds none of the
// source's).
func (p *pass) lookup(ctx context.Context,
	c *chunk) (map[string][]neo4jw.Existing, neo4jw.Nodes, error) {
	byLabel := make(map[string][]string)
	starts := make(map[string]map[string]bool)
	seen := make(map[string]bool)
	add := func(label, id string) {
		if key := neo4jw.NodeKey(label, id); !seen[key] {
			seen[key] = true
			byLabel[label] = append(byLabel[label], id)
		}
	}
	for _, u := range c.upserts {
		add(u.label, u.id)
		if p.existing {
			if starts[u.label] == nil {
				starts[u.label] = make(map[string]bool)
			}
			starts[u.label][u.id] = true
		}
	}
	for _, l := range c.links {
		add(l.ToLabel, l.ToID)
	}

	// Reads take no locks: the labels are read at the same time, which
	// matters for small runs that touch many modules.
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
		slots = make(chan struct{}, outgoingReaders)
		have  = make(map[string][]neo4jw.Existing)
		nodes = make(neo4jw.Nodes, len(seen))
	)
	for label, ids := range byLabel {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			found := make(neo4jw.Nodes, len(ids))
			rels, err := p.r.writer.Lookup(ctx, p.source, label, ids, starts[label], found)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				first = cmp.Or(first, err)
				return
			}
			maps.Copy(nodes, found)
			for _, e := range rels {
				key := label + "\x00" + e.FromID
				have[key] = append(have[key], e)
			}
		})
	}
	wg.Wait()
	return have, nodes, first
}

// outgoingReaders bounds the concurrent lookups of nodes and existing
// relationships.
const outgoingReaders = 4

// match returns the index of the first relationship of old not yet kept
// that is rel, or -1.
func match(old []neo4jw.Existing, kept []bool, rel neo4jw.Rel) int {
	for j, e := range old {
		if !kept[j] && e.Is(rel) {
			return j
		}
	}
	return -1
}

func toRel(l mapping.Link) neo4jw.Rel {
	return neo4jw.Rel{FromLabel: l.FromLabel, FromID: l.FromID, Field: l.Field, Type: l.Type,
		ToLabel: l.ToLabel, ToID: l.ToID}
}
