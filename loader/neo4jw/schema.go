package neo4jw

import (
	"context"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// Prepare creates the tombstones' constraint and learns which label
// constraints exist already, so that labels met later cost no schema
// statement. Call it once at start.
func (w *Writer) Prepare(ctx context.Context) error {
	w.schemaMu.Lock()
	defer w.schemaMu.Unlock()
	if err := w.schema(ctx, tombstoneConstraintQuery); err != nil {
		return fmt.Errorf("creating constraint %s: %w", tombstoneConstraint, err)
	}
	res, err := neo4j.ExecuteQuery(ctx, w.driver,
		"SHOW CONSTRAINTS YIELD name, labelsOrTypes, properties "+
			"WHERE name STARTS WITH 'crmgraph_' AND properties = ['id'] "+
			"RETURN labelsOrTypes[0] AS label",
		nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(w.database),
		neo4j.ExecuteQueryWithReadersRouting())
	if err != nil {
		return fmt.Errorf("listing constraints: %w", err)
	}
	for _, rec := range res.Records {
		if label, ok := rec.Values[0].(string); ok && constraintName(label) != tombstoneConstraint {
			if err := w.remember(label); err != nil {
				continue // not a label this writer could use; leave it alone
			}
		}
	}
	return nil
}

// EnsureLabel creates the uniqueness constraint of a label unless it is
// known to exist. Schema statements run one at a time, and the constraint
// is created IF NOT EXISTS, so several loaders may meet a new label at once.
func (w *Writer) EnsureLabel(ctx context.Context, label string) error {
	if _, err := newStatements(label); err != nil {
		return err
	}
	w.schemaMu.Lock()
	defer w.schemaMu.Unlock()
	w.mu.RLock()
	_, ok := w.ready[label]
	w.mu.RUnlock()
	if ok {
		return nil
	}
	// Look before creating: CREATE CONSTRAINT takes the label's schema lock
	// and waits for every transaction writing the label, even when the
	// constraint exists, which would stall behind other loaders' chunks.
	exists, err := w.constraintExists(ctx, label)
	if err != nil {
		return fmt.Errorf("reading constraint %s: %w", constraintName(label), err)
	}
	if !exists {
		if err := w.schema(ctx, constraintQuery(label)); err != nil {
			return fmt.Errorf("creating constraint %s: %w", constraintName(label), err)
		}
	}
	return w.remember(label)
}

// constraintExists reports whether a label's constraint exists.
func (w *Writer) constraintExists(ctx context.Context, label string) (bool, error) {
	res, err := neo4j.ExecuteQuery(ctx, w.driver,
		"SHOW CONSTRAINTS YIELD name WHERE name = $name RETURN count(*)",
		map[string]any{"name": constraintName(label)}, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(w.database), neo4j.ExecuteQueryWithReadersRouting())
	if err != nil {
		return false, err
	}
	n, _ := res.Records[0].Values[0].(int64)
	return n > 0, nil
}

// remember records that a label's constraint exists.
func (w *Writer) remember(label string) error {
	st, err := newStatements(label)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.ready[label] = st
	w.mu.Unlock()
	return nil
}

// schema runs one schema statement in a managed transaction, which the
// driver retries on transient errors.
func (w *Writer) schema(ctx context.Context, query string) error {
	_, err := neo4j.ExecuteQuery(ctx, w.driver, query, nil, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(w.database))
	return err
}

// Wipe deletes every node crmgraph wrote (nodes with a _source property,
// tombstones included) and their relationships, in transactions of 10,000
// (wipeQueries), and returns how many nodes it deleted. Nodes written by
// others stay. The constraints stay too.
func (w *Writer) Wipe(ctx context.Context) (int64, error) {
	sess := w.driver.NewSession(ctx, neo4j.SessionConfig{DatabaseName: w.database})
	defer sess.Close(ctx)
	var nodes int64
	for _, q := range wipeQueries {
		res, err := sess.Run(ctx, q, nil)
		if err != nil {
			return nodes, fmt.Errorf("wiping crmgraph nodes: %w", err)
		}
		sum, err := res.Consume(ctx)
		if err != nil {
			return nodes, fmt.Errorf("wiping crmgraph nodes: %w", err)
		}
		nodes += int64(sum.Counters().NodesDeleted())
	}
	return nodes, nil
}
