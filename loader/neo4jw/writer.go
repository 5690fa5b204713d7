package neo4jw

import (
	"context"
	"fmt"
	"sync"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// Writer writes batches of record versions to one Neo4j database. It is
// safe for concurrent use; concurrent batches on disjoint records do not
// block each other.
type Writer struct {
	driver   neo4j.DriverWithContext
	database string

	// schemaMu serialises schema statements: Neo4j may fail concurrent
	// constraint creation with a deadlock.
	schemaMu sync.Mutex
	// ready holds the labels whose constraint is known to exist and whose
	// statements are built. Guarded by mu.
	mu    sync.RWMutex
	ready map[string]statements
}

// New returns a writer on driver's database. The driver is the caller's
// and is not closed by the writer.
func New(driver neo4j.DriverWithContext, database string) *Writer {
	return &Writer{driver: driver, database: database, ready: map[string]statements{}}
}

// Write applies a batch in one transaction: for each label in order, the
// upserts, then the deletes. The driver retries the transaction on
// transient errors (a deadlock, a leader switch) for up to its
// MaxTransactionRetryTime; errors it gives up on are returned for the
// caller to classify (see IsDataError, IsFatal). A label meets its
// uniqueness constraint before its first row is written.
func (w *Writer) Write(ctx context.Context, b *Batch) (Result, error) {
	var stmts []statement
	for _, label := range b.Labels() {
		st, err := w.statements(ctx, label)
		if err != nil {
			return Result{}, err
		}
		g := b.groups[label]
		if len(g.upserts) > 0 {
			stmts = append(stmts, statement{label: label, query: st.upsert,
				rows: g.upserts, params: map[string]any{"rows": params(g.upserts), "label": label}})
		}
		if len(g.deletes) > 0 {
			stmts = append(stmts, statement{label: label, query: st.delete, del: true,
				rows: g.deletes, params: map[string]any{"rows": params(g.deletes), "label": label}})
		}
	}
	if len(stmts) == 0 {
		return Result{}, nil
	}

	sess := w.driver.NewSession(ctx, neo4j.SessionConfig{
		DatabaseName: w.database,
		AccessMode:   neo4j.AccessModeWrite,
	})
	defer sess.Close(ctx)
	res, err := neo4j.ExecuteWrite(ctx, sess, func(tx neo4j.ManagedTransaction) (Result, error) {
		var r Result
		for _, st := range stmts {
			if err := st.run(ctx, tx, &r); err != nil {
				return Result{}, err
			}
		}
		return r, nil
	}, neo4j.WithTxMetadata(map[string]any{"app": "crmgraph-loader"}))
	if err != nil {
		return Result{}, fmt.Errorf("writing batch of %d rows (%v): %w", b.Len(), b.Labels(), err)
	}
	return res, nil
}

// statement is one UNWIND statement of a transaction and its rows.
type statement struct {
	label  string
	query  string
	del    bool
	rows   []Row
	params map[string]any
}

// run executes the statement and adds its counts to r; rows of a group that
// the statement did not apply are stale.
func (st statement) run(ctx context.Context, tx neo4j.ManagedTransaction, r *Result) error {
	cur, err := tx.Run(ctx, st.query, st.params)
	if err != nil {
		return err
	}
	recs, err := cur.Collect(ctx)
	if err != nil {
		return err
	}
	applied := map[string]Counts{}
	for _, rec := range recs {
		group, _ := rec.Values[0].(string)
		n, _ := rec.Values[1].(int64)
		created, _ := rec.Values[2].(int64)
		c := applied[group]
		if st.del {
			c.Deleted += int(n)
		} else {
			c.Created += int(created)
			c.Updated += int(n - created)
		}
		applied[group] = c
	}
	total := map[string]int{}
	for _, row := range st.rows {
		total[row.Group]++
	}
	for group, n := range total {
		c := applied[group]
		c.Stale = n - c.Rows()
		r.add(group, c)
	}
	return nil
}

// statements returns a label's statements, creating its constraint the
// first time the label is met.
func (w *Writer) statements(ctx context.Context, label string) (statements, error) {
	w.mu.RLock()
	st, ok := w.ready[label]
	w.mu.RUnlock()
	if ok {
		return st, nil
	}
	if err := w.EnsureLabel(ctx, label); err != nil {
		return statements{}, err
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.ready[label], nil
}
