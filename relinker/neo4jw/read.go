package neo4jw

import (
	"context"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/events/graph"
)

// readChunk bounds the ids one read statement takes.
const readChunk = 20000

// stable prefixes every statement: its plan is kept when the graph's
// statistics change (a first load takes relationship counts from zero to
// tens of thousands), so a run never waits for a statement to be planned
// again. Every statement has one sensible plan (unique index seeks on id,
// element id seeks), whatever the statistics.
const stable = "CYPHER replan=skip\n"

const relColumns = "a.id AS f, r." + PropField + " AS k, type(r) AS t, labels(b) AS bl, " +
	"b.id AS bt, elementId(r) AS e"

// Nodes holds the element ids of nodes found in the graph, by NodeKey.
type Nodes map[string]string

// NodeKey returns the key of the node of label with id in Nodes.
func NodeKey(label, id string) string { return label + "\x00" + id }

// Lookup finds the nodes of label with the given ids and adds their
// element ids to found. For the ids in starts, it also returns the
// relinker's relationships of source that start at them. One statement
// text serves every call for a label, whichever ids are asked.
func (w *Writer) Lookup(ctx context.Context, source, label string, ids []string,
	starts map[string]bool, found Nodes) ([]Existing, error) {
	if !graph.ValidName(label) {
		return nil, fmt.Errorf("label %q: %w", label, graph.ErrBadName)
	}
	q := stable + "UNWIND $rows AS row\n" +
		"MATCH (a:" + graph.Quote(label) + " {id: row.id})\n" +
		"OPTIONAL MATCH (a)-[r]->(b)\n" +
		"WHERE row.s AND r." + PropField + " IS NOT NULL AND r." + PropSource + " = $source\n" +
		"RETURN " + relColumns + ", elementId(a) AS n"
	var out []Existing
	for start := 0; start < len(ids); start += readChunk {
		chunk := ids[start:min(start+readChunk, len(ids))]
		rows := make([]any, len(chunk))
		for i, id := range chunk {
			rows[i] = map[string]any{"id": id, "s": starts[id]}
		}
		err := w.read(ctx, q, map[string]any{"rows": rows, "source": source},
			func(v []any) {
				id, _ := v[0].(string)
				found[NodeKey(label, id)], _ = v[6].(string)
				if v[5] != nil {
					out = append(out, existing(label, v))
				}
			})
		if err != nil {
			return nil, fmt.Errorf("looking up %d %s nodes: %w", len(chunk), label, err)
		}
	}
	return out, nil
}

// All calls fn for every relinker relationship of source, with the first
// label of its start node.
func (w *Writer) All(ctx context.Context, source string, fn func(Existing)) error {
	q := stable + "MATCH (a)-[r]->(b)\n" +
		"WHERE r." + PropField + " IS NOT NULL AND r." + PropSource + " = $source\n" +
		"RETURN " + relColumns + ", labels(a)[0] AS al"
	err := w.read(ctx, q, map[string]any{"source": source}, func(v []any) {
		label, _ := v[6].(string)
		fn(existing(label, v))
	})
	if err != nil {
		return fmt.Errorf("reading every relationship of source %s: %w", source, err)
	}
	return nil
}

// Any reports whether the graph holds any relinker relationship of
// source. When it holds none, a run need not read what exists.
func (w *Writer) Any(ctx context.Context, source string) (bool, error) {
	q := stable + "MATCH ()-[r]->() WHERE r." + PropField + " IS NOT NULL AND r." + PropSource +
		" = $source RETURN 1 LIMIT 1"
	found := false
	err := w.read(ctx, q, map[string]any{"source": source}, func([]any) { found = true })
	if err != nil {
		return false, fmt.Errorf("looking for relationships of source %s: %w", source, err)
	}
	return found, nil
}

// Nodes returns which of the ids have a node with label in the graph.
func (w *Writer) Nodes(ctx context.Context, label string, ids []string) (map[string]bool, error) {
	if !graph.ValidName(label) {
		return nil, fmt.Errorf("label %q: %w", label, graph.ErrBadName)
	}
	q := stable + "UNWIND $ids AS id MATCH (n:" + graph.Quote(label) + " {id: id}) RETURN n.id"
	found := make(map[string]bool)
	for start := 0; start < len(ids); start += readChunk {
		chunk := ids[start:min(start+readChunk, len(ids))]
		err := w.read(ctx, q, map[string]any{"ids": toAny(chunk)}, func(v []any) {
			if id, ok := v[0].(string); ok {
				found[id] = true
			}
		})
		if err != nil {
			return nil, fmt.Errorf("looking up %d %s nodes: %w", len(chunk), label, err)
		}
	}
	return found, nil
}

// read runs a query in a managed read transaction and calls fn for the
// values of each record. A retried transaction starts fn's records again,
// so fn must only collect into state that read discards on error.
func (w *Writer) read(ctx context.Context, q string, params map[string]any,
	fn func([]any)) error {
	s := w.session(ctx)
	defer s.Close(context.WithoutCancel(ctx))
	var rows [][]any
	_, err := s.ExecuteRead(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		rows = rows[:0]
		cur, err := tx.Run(ctx, q, params)
		if err != nil {
			return nil, err
		}
		for cur.Next(ctx) {
			rows = append(rows, cur.Record().Values)
		}
		return nil, cur.Err()
	})
	if err != nil {
		return err
	}
	for _, v := range rows {
		fn(v)
	}
	return nil
}

func existing(label string, v []any) Existing {
	e := Existing{FromLabel: label}
	e.FromID, _ = v[0].(string)
	e.Field, _ = v[1].(string)
	e.Type, _ = v[2].(string)
	if ls, ok := v[3].([]any); ok {
		for _, l := range ls {
			if s, ok := l.(string); ok {
				e.ToLabels = append(e.ToLabels, s)
			}
		}
	}
	e.ToID, _ = v[4].(string)
	e.ElementID, _ = v[5].(string)
	return e
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
