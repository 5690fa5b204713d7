package neo4jw

import (
	"cmp"
	"slices"

	"github.com/crmgraph/crmgraph/events/graph"
)

// Row is one version of one record: the node's key, the stream sequence of
// the version, the group its counts are added to in Result.ByGroup (the
// loader uses the source and run that published it), and the properties:
// for an upsert, every property the node must have (an update replaces the
// node's properties with these); for a delete, the properties the
// tombstone keeps. Props must hold only values the driver can send as node
// properties, and no nulls: graph.Mapping makes such maps, and NewRow
// drops their nulls. The writer adds only the key property (id) to Props;
// bookkeeping properties (_source, _seq, _run, _modified) are the
// caller's.
type Row struct {
	ID    string
	Seq   int64
	Group string
	Props map[string]any
}

// NewRow builds an upsert row from mapped properties: it drops the nulls
// (a property the node must not have) and sets the key property (props is
// changed).
func NewRow(id string, seq int64, group string, props map[string]any) Row {
	for k, v := range props {
		if v == nil {
			delete(props, k)
		}
	}
	props[graph.PropID] = id
	return Row{ID: id, Seq: seq, Group: group, Props: props}
}

// Batch collects the rows of one transaction, grouped by label. A batch
// should hold at most one row per label and id; the loader keeps the
// newest version of each record of a chunk.
type Batch struct {
	groups map[string]*group
	rows   int
}

// group holds the rows of one label.
type group struct {
	upserts []Row
	deletes []Row
}

// NewBatch returns an empty batch.
func NewBatch() *Batch {
	return &Batch{groups: map[string]*group{}}
}

// Upsert adds a version to create or update a node of label.
func (b *Batch) Upsert(label string, r Row) {
	b.group(label).upserts = append(b.group(label).upserts, r)
	b.rows++
}

// Delete adds a version that deletes the node of label.
func (b *Batch) Delete(label string, r Row) {
	b.group(label).deletes = append(b.group(label).deletes, r)
	b.rows++
}

// Len reports how many rows the batch holds.
func (b *Batch) Len() int { return b.rows }

// Labels returns the batch's labels in order.
func (b *Batch) Labels() []string {
	labels := make([]string, 0, len(b.groups))
	for l := range b.groups {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	return labels
}

func (b *Batch) group(label string) *group {
	g, ok := b.groups[label]
	if !ok {
		g = &group{}
		b.groups[label] = g
	}
	return g
}

// params turns rows into the statement's $rows: a []any of map[string]any,
// which the driver packs without reflection, ordered by id so that
// concurrent transactions take their key locks in the same order.
func params(rows []Row) []any {
	slices.SortFunc(rows, func(a, b Row) int { return cmp.Compare(a.ID, b.ID) })
	out := make([]any, len(rows))
	for i, r := range rows {
		if r.Props == nil {
			r.Props = map[string]any{}
		}
		r.Props[graph.PropID] = r.ID // SET n = props must keep the key
		out[i] = map[string]any{"id": r.ID, "seq": r.Seq, "group": r.Group, "props": r.Props}
	}
	return out
}

// Counts is what a write did to nodes.
type Counts struct {
	// Created counts nodes that did not exist.
	Created int
	// Updated counts existing nodes given a version not older than theirs.
	Updated int
	// Deleted counts deletes applied (the node removed, or its absence
	// recorded by a tombstone).
	Deleted int
	// Stale counts versions older than the node or tombstone in the graph,
	// which changed nothing.
	Stale int
}

// Add adds c2 to c.
func (c *Counts) Add(c2 Counts) {
	c.Created += c2.Created
	c.Updated += c2.Updated
	c.Deleted += c2.Deleted
	c.Stale += c2.Stale
}

// Rows reports how many rows the counts cover.
func (c Counts) Rows() int { return c.Created + c.Updated + c.Deleted + c.Stale }

// Result is what a write did, per group (the Group of the rows) and in
// total.
type Result struct {
	ByGroup map[string]Counts
	Total   Counts
}

func (r *Result) add(group string, c Counts) {
	if r.ByGroup == nil {
		r.ByGroup = map[string]Counts{}
	}
	have := r.ByGroup[group]
	have.Add(c)
	r.ByGroup[group] = have
	r.Total.Add(c)
}

// Merge adds r2 to r.
func (r *Result) Merge(r2 Result) {
	for g, c := range r2.ByGroup {
		r.add(g, c)
	}
}
