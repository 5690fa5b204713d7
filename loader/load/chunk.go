package load

import (
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/graph"
	"github.com/crmgraph/crmgraph/loader/neo4jw"
)

// item is one message of a chunk and what it becomes.
type item struct {
	msg jetstream.Msg
	seq uint64
	// source and run attribute the item's counts; either may be empty when
	// the message could not be read.
	source string
	run    string
	module string
	op     events.Op
	label  string
	row    neo4jw.Row
	// poison says why the message can never be written; it goes to the
	// dead-letter subject.
	poison string
	// stale means a newer version of the record is in the same chunk.
	stale bool
}

// chunk is the messages of one Fetch.
type chunk struct {
	items []*item
	// fetched is when the chunk arrived, for the keepalive.
	fetched time.Time
}

// recordPrefix and markerPrefix start the subjects the consumer delivers.
const (
	recordPrefix = "crm.rec."
	markerPrefix = "crm.run."
)

// prepare decodes and maps the messages of a chunk. Markers go to the
// waiter; every message the chunk keeps is acknowledged or terminated by
// commit. Of two versions of one record in a chunk, the older is marked
// stale and only the newer is written.
func (l *Loader) prepare(msgs []jetstream.Msg) *chunk {
	c := &chunk{items: make([]*item, 0, len(msgs)), fetched: time.Now()}
	newest := make(map[string]*item, len(msgs))
	for _, msg := range msgs {
		it := &item{msg: msg}
		md, err := msg.Metadata()
		if err != nil {
			it.poison = fmt.Sprintf("reading message metadata: %v", err)
			c.items = append(c.items, it)
			continue
		}
		it.seq = md.Sequence.Stream
		subject := msg.Subject()
		switch {
		case strings.HasPrefix(subject, markerPrefix):
			if err := l.waiter.add(msg, it.seq); err != nil {
				it.poison = err.Error()
				it.run = msg.Headers().Get(events.HeaderRun)
				c.items = append(c.items, it)
			}
			continue
		case strings.HasPrefix(subject, recordPrefix):
			l.record(it)
		default:
			it.poison = fmt.Sprintf("subject %q is neither a record event nor a marker", subject)
		}
		c.items = append(c.items, it)
		if it.poison != "" {
			continue
		}
		k := it.label + "\x00" + it.row.ID
		if prev, ok := newest[k]; ok {
			if prev.seq > it.seq {
				it.stale = true
				continue
			}
			prev.stale = true
		}
		newest[k] = it
	}
	return c
}

// record decodes a record event and maps it to a row.
func (l *Loader) record(it *item) {
	msg := it.msg
	it.run = msg.Headers().Get(events.HeaderRun)
	if t := strings.SplitN(msg.Subject(), ".", 4); len(t) >= 3 {
		it.source = t[2] // for the counts, even if the event cannot be decoded
	}
	ev, err := events.DecodeRecord(msg.Subject(), msg.Headers(), msg.Data())
	if err != nil {
		it.poison = fmt.Sprintf("decoding record event: %v", err)
		return
	}
	it.source, it.module, it.op = ev.Key.Source, ev.Key.Module, ev.Op
	it.label, err = l.cfg.Labels.Label(ev.Key.Module)
	if err != nil {
		it.poison = fmt.Sprintf("labelling module %s: %v", ev.Key.Module, err)
		return
	}
	var props map[string]any
	if ev.Op == events.OpDelete {
		props = make(map[string]any, 4)
	} else {
		props, err = l.mapper.Properties(ev.Body)
		if err != nil {
			it.poison = fmt.Sprintf("mapping record %s: %v", ev.Key, err)
			return
		}
		if id, ok := props[graph.PropID]; ok && id != ev.Key.ID {
			it.poison = fmt.Sprintf("record %s: body id %v differs from the subject's", ev.Key, id)
			return
		}
	}
	props[graph.PropSource] = ev.Key.Source
	props[graph.PropSeq] = int64(it.seq)
	props[graph.PropRun] = ev.Run
	if ev.Modified.IsZero() {
		props[graph.PropModified] = nil
	} else {
		props[graph.PropModified] = graph.Offset(ev.Modified)
	}
	it.row = neo4jw.NewRow(ev.Key.ID, int64(it.seq), runKey(ev.Key.Source, ev.Run), props)
}

// batch builds the Neo4j batch of the items to write.
func batch(items []*item) *neo4jw.Batch {
	b := neo4jw.NewBatch()
	for _, it := range items {
		if it.op == events.OpDelete {
			b.Delete(it.label, it.row)
		} else {
			b.Upsert(it.label, it.row)
		}
	}
	return b
}

// writable returns the items of a chunk that go to Neo4j.
func (c *chunk) writable() []*item {
	out := make([]*item, 0, len(c.items))
	for _, it := range c.items {
		if it.poison == "" && !it.stale {
			out = append(out, it)
		}
	}
	return out
}
