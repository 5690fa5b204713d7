package neo4jw

import (
	"context"
	"fmt"
	"sync"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/events/graph"
)

// createQuery returns the fixed statement that creates relationships of
// one (start label, type, end label) between nodes given by element id, as
// a Lookup found them: element id seeks, where MERGE's per-row match of both
// ends by label and id cost twice as much. Labels and type are validated
// before they reach Cypher text. The id checks make a node deleted since
// the lookup, whose element id Neo4j may give to a new node, count as
// missing.
func createQuery(from, typ, to string) (string, error) {
	for _, n := range []string{from, typ, to} {
		if !graph.ValidName(n) {
			return "", fmt.Errorf("name %q: %w", n, graph.ErrBadName)
		}
	}
	return stable + "UNWIND $rows AS row\n" +
		"MATCH (a:" + graph.Quote(from) + ") WHERE elementId(a) = row.a AND a.id = row.f\n" +
		"MATCH (b:" + graph.Quote(to) + ") WHERE elementId(b) = row.b AND b.id = row.t\n" +
		"CREATE (a)-[r:" + graph.Quote(typ) + " {" + PropField + ": row.k, " +
		PropSource + ": $source}]->(b)\n" +
		"RETURN count(r) AS n", nil
}

// goneQuery finds the rows of a batch whose start or end node went away
// between the lookup and the write.
const goneQuery = stable + "UNWIND $rows AS row\n" +
	"OPTIONAL MATCH (a) WHERE elementId(a) = row.a AND a.id = row.f\n" +
	"OPTIONAL MATCH (b) WHERE elementId(b) = row.b AND b.id = row.t\n" +
	"WITH row, a, b WHERE a IS NULL OR b IS NULL\n" +
	"RETURN row.i, a IS NULL AS noStart"

// Create writes rels of source that the caller knows are absent, without
// the per-row check MERGE makes. It looks their nodes up first; see
// CreateAt. A relationship created twice by a race with another writer is
// a duplicate that the next diff of its start node removes.
func (w *Writer) Create(ctx context.Context, source string, rels []Rel) (MergeResult, error) {
	byLabel := make(map[string][]string)
	seen := make(map[string]bool)
	add := func(label, id string) {
		if key := NodeKey(label, id); !seen[key] {
			seen[key] = true
			byLabel[label] = append(byLabel[label], id)
		}
	}
	for _, r := range rels {
		add(r.FromLabel, r.FromID)
		add(r.ToLabel, r.ToID)
	}
	nodes := make(Nodes, len(seen))
	for label, ids := range byLabel {
		if _, err := w.Lookup(ctx, source, label, ids, nil, nodes); err != nil {
			return MergeResult{}, err
		}
	}
	return w.CreateAt(ctx, source, rels, nodes)
}

// CreateAt writes rels of source that the caller knows are absent, between
// the nodes that a Lookup just found. Rows whose start or end node is not
// in nodes, or went away since, are reported as by Merge and not written.
func (w *Writer) CreateAt(ctx context.Context, source string, rels []Rel,
	nodes Nodes) (MergeResult, error) {
	var (
		res   MergeResult
		items []item
		rows  []map[string]any
		at    []int // index in rels of each row
	)
	for i, r := range rels {
		if !graph.ValidName(r.Type) {
			return MergeResult{}, fmt.Errorf("type %q of field %s: %w", r.Type, r.Field,
				graph.ErrBadName)
		}
		from, to := NodeKey(r.FromLabel, r.FromID), NodeKey(r.ToLabel, r.ToID)
		a, b := nodes[from], nodes[to]
		switch {
		case a == "":
			res.MissingStart = append(res.MissingStart, i)
			continue
		case b == "":
			res.MissingEnd = append(res.MissingEnd, i)
			continue
		}
		items = append(items, item{wave: r.Field, from: from, to: to,
			shape: r.FromLabel + "\x00" + r.Type + "\x00" + r.ToLabel})
		rows = append(rows, map[string]any{"a": a, "f": r.FromID, "b": b, "t": r.ToID,
			"k": r.Field, "i": int64(i)})
		at = append(at, i)
	}

	var mu sync.Mutex
	err := w.run(ctx, plan(items, w.cfg.BatchSize, w.cfg.Parallel),
		func(ctx context.Context, s neo4j.SessionWithContext, idx []int) error {
			batch := make([]any, len(idx))
			for i, j := range idx {
				batch[i] = rows[j]
			}
			first := rels[at[idx[0]]]
			b, err := w.createBatch(ctx, s, source, first, batch)
			if err != nil {
				return fmt.Errorf("writing %d %s relationships of %s.%s: %w",
					len(idx), first.Type, first.FromLabel, first.Field, err)
			}
			mu.Lock()
			defer mu.Unlock()
			res.add(b)
			return nil
		})
	return res, err
}

// createBatch writes one batch of rows that share first's shape in one
// transaction. The indexes it reports are the rows' "i", indexes in the
// caller's rels.
func (w *Writer) createBatch(ctx context.Context, s neo4j.SessionWithContext, source string,
	first Rel, rows []any) (MergeResult, error) {
	q, err := createQuery(first.FromLabel, first.Type, first.ToLabel)
	if err != nil {
		return MergeResult{}, err
	}
	params := map[string]any{"rows": rows, "source": source}
	return inTx(ctx, w, s, func(tx neo4j.ManagedTransaction) (MergeResult, error) {
		var out MergeResult
		cur, err := tx.Run(ctx, q, params)
		if err != nil {
			return out, err
		}
		rec, err := cur.Single(ctx)
		if err != nil {
			return out, err
		}
		n, _ := rec.Values[0].(int64)
		out.Created = int(n)
		if out.Created == len(rows) {
			return out, nil
		}
		cur, err = tx.Run(ctx, goneQuery, params)
		if err != nil {
			return out, err
		}
		for cur.Next(ctx) {
			v := cur.Record().Values
			i, _ := v[0].(int64)
			if noStart, _ := v[1].(bool); noStart {
				out.MissingStart = append(out.MissingStart, int(i))
			} else {
				out.MissingEnd = append(out.MissingEnd, int(i))
			}
		}
		return out, cur.Err()
	})
}
