package neo4jw

import (
	"context"
	"fmt"
	"sync"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/events/graph"
)

// MergeResult is what Merge did with its rows.
type MergeResult struct {
	// Created counts relationships that did not exist and were created.
	Created int
	// Existed counts rows whose relationship was already there.
	Existed int
	// MissingEnd holds the indexes of rows whose end node is not in the
	// graph (and whose start node is): they were not written.
	MissingEnd []int
	// MissingStart holds the indexes of rows whose start node is not in
	// the graph: they were not written.
	MissingStart []int
}

// add adds the result of one batch to r.
func (r *MergeResult) add(b MergeResult) {
	r.Created += b.Created
	r.Existed += b.Existed
	r.MissingEnd = append(r.MissingEnd, b.MissingEnd...)
	r.MissingStart = append(r.MissingStart, b.MissingStart...)
}

// verb is how a batch writes its relationships.
type verb string

// merge creates a relationship only when an equal one is not there.
const merge verb = "MERGE"

// writeQuery returns the fixed statement of one (start label, type, end
// label). Labels and type are validated before they reach Cypher text.
func writeQuery(v verb, from, typ, to string) (string, error) {
	for _, n := range []string{from, typ, to} {
		if !graph.ValidName(n) {
			return "", fmt.Errorf("name %q: %w", n, graph.ErrBadName)
		}
	}
	return stable + "UNWIND $rows AS row\n" +
		"MATCH (a:" + graph.Quote(from) + " {id: row.f})\n" +
		"MATCH (b:" + graph.Quote(to) + " {id: row.t})\n" +
		string(v) + " (a)-[r:" + graph.Quote(typ) + " {" + PropField + ": $field, " +
		PropSource + ": $source}]->(b)\n" +
		"RETURN count(r) AS n", nil
}

// missingQuery finds the rows of a batch whose start or end node is not in
// the graph.
func missingQuery(from, to string) string {
	return stable + "UNWIND range(0, size($rows) - 1) AS i\n" +
		"WITH i, $rows[i] AS row\n" +
		"OPTIONAL MATCH (a:" + graph.Quote(from) + " {id: row.f})\n" +
		"OPTIONAL MATCH (b:" + graph.Quote(to) + " {id: row.t})\n" +
		"WITH i, a, b WHERE a IS NULL OR b IS NULL\n" +
		"RETURN i, a IS NULL AS noStart"
}

// Merge writes rels of source, creating those that do not exist. Rows
// whose start or end node is missing are reported, never written, and
// never create a node.
func (w *Writer) Merge(ctx context.Context, source string, rels []Rel) (MergeResult, error) {
	return w.write(ctx, merge, source, rels)
}

func (w *Writer) write(ctx context.Context, v verb, source string,
	rels []Rel) (MergeResult, error) {
	items := make([]item, len(rels))
	for i, r := range rels {
		items[i] = item{
			wave:  r.Field,
			shape: r.FromLabel + "\x00" + r.Type + "\x00" + r.ToLabel,
			from:  r.FromLabel + "\x00" + r.FromID,
			to:    r.ToLabel + "\x00" + r.ToID,
		}
	}
	var (
		mu  sync.Mutex
		res MergeResult
	)
	err := w.run(ctx, plan(items, w.cfg.BatchSize, w.cfg.Parallel),
		func(ctx context.Context, s neo4j.SessionWithContext, idx []int) error {
			b, err := w.writeBatch(ctx, s, v, source, rels, idx)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			res.add(b)
			return nil
		})
	return res, err
}

// writeBatch writes one batch of rows that share a shape and a field.
func (w *Writer) writeBatch(ctx context.Context, s neo4j.SessionWithContext, v verb,
	source string, rels []Rel, idx []int) (MergeResult, error) {
	first := rels[idx[0]]
	q, err := writeQuery(v, first.FromLabel, first.Type, first.ToLabel)
	if err != nil {
		return MergeResult{}, err
	}
	rows := make([]any, len(idx))
	for i, j := range idx {
		rows[i] = map[string]any{"f": rels[j].FromID, "t": rels[j].ToID}
	}
	params := map[string]any{"rows": rows, "field": first.Field, "source": source}

	res, err := inTx(ctx, w, s, func(tx neo4j.ManagedTransaction) (MergeResult, error) {
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
		sum, err := cur.Consume(ctx)
		if err != nil {
			return out, err
		}
		out.Created = sum.Counters().RelationshipsCreated()
		out.Existed = int(n) - out.Created
		if int(n) == len(rows) {
			return out, nil
		}
		return out, missing(ctx, tx, first, params, idx, &out)
	})
	if err != nil {
		return MergeResult{}, fmt.Errorf("writing %d %s relationships of %s.%s: %w",
			len(idx), first.Type, first.FromLabel, first.Field, err)
	}
	return res, nil
}

// missing fills out with the rows whose start or end node is missing.
func missing(ctx context.Context, tx neo4j.ManagedTransaction, first Rel,
	params map[string]any, idx []int, out *MergeResult) error {
	cur, err := tx.Run(ctx, missingQuery(first.FromLabel, first.ToLabel), params)
	if err != nil {
		return err
	}
	for cur.Next(ctx) {
		v := cur.Record().Values
		i, _ := v[0].(int64)
		if noStart, _ := v[1].(bool); noStart {
			out.MissingStart = append(out.MissingStart, idx[i])
		} else {
			out.MissingEnd = append(out.MissingEnd, idx[i])
		}
	}
	return cur.Err()
}
