package neo4jw

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// Errors returned by this package. Callers test for them with errors.Is.
var (
	// ErrBadConfig means a Writer was given a batch size or parallelism
	// below one, or no driver.
	ErrBadConfig = errors.New("bad writer configuration")
)

// Defaults of Config, measured at seed scale on a 2-core machine (see the
// relinker's README).
const (
	DefaultBatchSize = 5000
	DefaultParallel  = 2
)

// Bookkeeping properties of the relinker's relationships.
const (
	// PropField names the CRM field that made the relationship.
	PropField = "_field"
	// PropSource names the source (Zoho organisation) of the relationship.
	PropSource = "_source"
)

// Rel is one relationship between two nodes given by label and id.
type Rel struct {
	FromLabel string
	FromID    string
	Field     string
	Type      string
	ToLabel   string
	ToID      string
}

// Config configures a Writer.
type Config struct {
	// Database is the Neo4j database to write to.
	Database string
	// BatchSize is the most rows one transaction writes.
	BatchSize int
	// Parallel is how many partitions of a wave are written at once.
	Parallel int
}

// Writer writes and reads the relinker's relationships. It is safe for
// concurrent use.
type Writer struct {
	driver neo4j.DriverWithContext
	cfg    Config

	retries atomic.Int64
	txs     atomic.Int64

	mu       sync.Mutex
	failures map[string]int64 // failed attempts by error code; guarded by mu
}

// New returns a Writer over driver.
func New(driver neo4j.DriverWithContext, cfg Config) (*Writer, error) {
	if driver == nil || cfg.BatchSize < 1 || cfg.Parallel < 1 {
		return nil, fmt.Errorf("batch size %d, parallel %d: %w",
			cfg.BatchSize, cfg.Parallel, ErrBadConfig)
	}
	if cfg.Database == "" {
		cfg.Database = "neo4j"
	}
	return &Writer{driver: driver, cfg: cfg}, nil
}

// Retries reports how many times the driver retried a write transaction
// (after a deadlock or another transient error) since the Writer was made.
func (w *Writer) Retries() int64 { return w.retries.Load() }

// Failures returns the failed transaction attempts by the code of their
// error (Neo.TransientError.Transaction.DeadlockDetected, for example), so
// that an operator can tell deadlocks from outages. The driver retried
// every one that was transient, except a transaction's last.
func (w *Writer) Failures() map[string]int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.failures)
}

func (w *Writer) failed(err error) {
	code := "other"
	var nerr *neo4j.Neo4jError
	switch {
	case errors.As(err, &nerr):
		code = nerr.Code
	case neo4j.IsConnectivityError(err):
		code = "connectivity"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failures == nil {
		w.failures = make(map[string]int64)
	}
	w.failures[code]++
}

// Transactions reports how many write transactions the Writer committed.
func (w *Writer) Transactions() int64 { return w.txs.Load() }

// Config returns the Writer's configuration.
func (w *Writer) Config() Config { return w.cfg }

func (w *Writer) session(ctx context.Context) neo4j.SessionWithContext {
	return w.driver.NewSession(ctx, neo4j.SessionConfig{DatabaseName: w.cfg.Database})
}

// inTx runs work in a managed write transaction, counting its retries.
func inTx[T any](ctx context.Context, w *Writer, s neo4j.SessionWithContext,
	work func(tx neo4j.ManagedTransaction) (T, error)) (T, error) {
	attempts := 0
	v, err := neo4j.ExecuteWrite(ctx, s, func(tx neo4j.ManagedTransaction) (T, error) {
		attempts++
		v, err := work(tx)
		if err != nil {
			w.failed(err)
		}
		return v, err
	})
	if attempts > 1 {
		w.retries.Add(int64(attempts - 1))
	}
	if err == nil {
		w.txs.Add(1)
	}
	return v, err
}

// run executes the plan: waves one after the other, the partitions of a
// wave at the same time, each partition's batches in order in its own
// session. The first error cancels the rest and is returned.
func (w *Writer) run(ctx context.Context, waves []wave,
	batch func(ctx context.Context, s neo4j.SessionWithContext, rows []int) error) error {
	for _, wv := range waves {
		ctx, cancel := context.WithCancel(ctx)
		var (
			wg    sync.WaitGroup
			once  sync.Once
			first error
		)
		for _, part := range wv {
			wg.Go(func() {
				s := w.session(ctx)
				defer s.Close(context.WithoutCancel(ctx))
				for _, rows := range part {
					if err := batch(ctx, s, rows); err != nil {
						once.Do(func() { first = err; cancel() })
						return
					}
				}
			})
		}
		wg.Wait()
		cancel()
		if first != nil {
			return first
		}
	}
	return nil
}
