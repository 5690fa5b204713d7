package neo4jw

import (
	"context"
	"fmt"
	"sync"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// Existing is one of the relinker's relationships as found in the graph.
type Existing struct {
	// FromLabel and FromID name the start node by the label it was read
	// with and its id.
	FromLabel string
	FromID    string
	Field     string
	Type      string
	// ToLabels and ToID describe the end node.
	ToLabels []string
	ToID     string
	// ElementID is the relationship's element id, valid while it lives.
	ElementID string
}

// nodes returns the keys of the relationship's start and end nodes for
// the planner.
func (e Existing) nodes() (from, to string) {
	to = e.ToID
	if len(e.ToLabels) > 0 {
		to = e.ToLabels[0] + "\x00" + e.ToID
	}
	return e.FromLabel + "\x00" + e.FromID, to
}

// Is reports whether e is the relationship r describes: same field, type
// and end node.
func (e Existing) Is(r Rel) bool {
	if e.Field != r.Field || e.Type != r.Type || e.ToID != r.ToID {
		return false
	}
	for _, l := range e.ToLabels {
		if l == r.ToLabel {
			return true
		}
	}
	return false
}

const deleteQuery = stable + "UNWIND $ids AS id\n" +
	"MATCH ()-[r]->() WHERE elementId(r) = id AND r." + PropField + " IS NOT NULL\n" +
	"DELETE r"

// Delete removes relationships found by a read, planned like Merge so
// that concurrent deletes lock no node twice. It returns how many were
// deleted; one that is already gone is not counted.
func (w *Writer) Delete(ctx context.Context, rels []Existing) (int, error) {
	items := make([]item, len(rels))
	for i, r := range rels {
		from, to := r.nodes()
		items[i] = item{wave: r.Field, from: from, to: to}
	}
	var (
		mu      sync.Mutex
		deleted int
	)
	err := w.run(ctx, plan(items, w.cfg.BatchSize, w.cfg.Parallel),
		func(ctx context.Context, s neo4j.SessionWithContext, idx []int) error {
			ids := make([]any, len(idx))
			for i, j := range idx {
				ids[i] = rels[j].ElementID
			}
			n, err := inTx(ctx, w, s, func(tx neo4j.ManagedTransaction) (int, error) {
				cur, err := tx.Run(ctx, deleteQuery, map[string]any{"ids": ids})
				if err != nil {
					return 0, err
				}
				sum, err := cur.Consume(ctx)
				if err != nil {
					return 0, err
				}
				return sum.Counters().RelationshipsDeleted(), nil
			})
			if err != nil {
				return fmt.Errorf("deleting %d relationships of field %s: %w",
					len(idx), rels[idx[0]].Field, err)
			}
			mu.Lock()
			deleted += n
			mu.Unlock()
			return nil
		})
	return deleted, err
}
