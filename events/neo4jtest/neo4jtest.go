// Package neo4jtest connects tests to the real Neo4j of the local stack.
//
// The server is found through NEO4J_URI (default bolt://127.0.0.1:7687,
// where `make up` starts it). A test that needs Neo4j and cannot reach it
// fails; it never skips, because a skipped integration test proves nothing.
//
// Neo4j Community has one user database, and the packages of `go test
// ./...` run in parallel processes. Open therefore takes a lock shared by
// every test process on the machine, held until the test ends, and wipes
// the database, so each test starts from an empty graph and no two tests
// write to Neo4j at once.
package neo4jtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// DefaultURI is where the local stack's Neo4j listens.
const DefaultURI = "bolt://127.0.0.1:7687"

// Database is the database tests write to.
const Database = "neo4j"

// URI returns NEO4J_URI, or DefaultURI when it is unset.
func URI() string {
	if u := os.Getenv("NEO4J_URI"); u != "" {
		return u
	}
	return DefaultURI
}

// Open connects to Neo4j, takes the machine-wide test lock, wipes the
// database (nodes, relationships, constraints and indexes) and returns the
// driver. The driver is closed and the lock released by t.Cleanup.
func Open(t testing.TB) neo4j.DriverWithContext {
	t.Helper()
	d := Connect(t)
	lock(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Wipe(ctx, d); err != nil {
		t.Fatalf("wiping Neo4j at %s: %v", URI(), err)
	}
	return d
}

// Connect connects to Neo4j without the lock or the wipe, for tests that
// only read. It fails the test when the server does not answer.
func Connect(t testing.TB) neo4j.DriverWithContext {
	t.Helper()
	d, err := neo4j.NewDriverWithContext(URI(), neo4j.NoAuth())
	if err != nil {
		t.Fatalf("creating Neo4j driver for %s: %v", URI(), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := d.VerifyConnectivity(ctx); err != nil {
		_ = d.Close(context.Background())
		t.Fatalf("Neo4j is not reachable at %s (start it with `make up`): %v", URI(), err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	return d
}

// lock takes an exclusive flock on a file shared by every test process and
// releases it when the test ends.
func lock(t testing.TB) {
	t.Helper()
	// One lock per server: tests against different Neo4j instances (two
	// checkouts on other ports, say) need not wait for each other.
	name := strings.NewReplacer(":", "_", "/", "_").Replace(URI())
	path := filepath.Join(os.TempDir(), "crmgraph-neo4jtest-"+name+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("opening Neo4j test lock %s: %v", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("taking Neo4j test lock %s: %v", path, err)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}

// Wipe deletes every relationship, then every node, in batches (nodes with
// their relationships at once put a dense node's tens of thousands into one
// transaction, which ran out of a 2 GB heap at 1M records), then drops every
// constraint and index except the built-in token lookup indexes.
func Wipe(ctx context.Context, d neo4j.DriverWithContext) error {
	s := d.NewSession(ctx, neo4j.SessionConfig{DatabaseName: Database})
	defer s.Close(ctx)
	for _, q := range []string{
		"MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS",
		"MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS",
	} {
		res, err := s.Run(ctx, q, nil)
		if err == nil {
			_, err = res.Consume(ctx)
		}
		if err != nil {
			return fmt.Errorf("deleting nodes and relationships: %w", err)
		}
	}
	schema := []struct{ list, drop string }{
		{"SHOW CONSTRAINTS YIELD name RETURN name", "DROP CONSTRAINT `%s` IF EXISTS"},
		{"SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name",
			"DROP INDEX `%s` IF EXISTS"},
	}
	for _, kind := range schema {
		names, err := column(ctx, d, kind.list)
		if err != nil {
			return err
		}
		for _, name := range names {
			if _, err := neo4j.ExecuteQuery(ctx, d, fmt.Sprintf(kind.drop, name), nil,
				neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(Database)); err != nil {
				return fmt.Errorf("dropping %s: %w", name, err)
			}
		}
	}
	return nil
}

func column(ctx context.Context, d neo4j.DriverWithContext, q string) ([]string, error) {
	res, err := neo4j.ExecuteQuery(ctx, d, q, nil, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(Database))
	if err != nil {
		return nil, fmt.Errorf("running %q: %w", q, err)
	}
	var out []string
	for _, r := range res.Records {
		if s, ok := r.Values[0].(string); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// Count runs a query that returns one integer and returns it.
func Count(t testing.TB, d neo4j.DriverWithContext, q string, params map[string]any) int64 {
	t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), d, q, params,
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(Database))
	if err != nil {
		t.Fatalf("running %q: %v", q, err)
	}
	if len(res.Records) != 1 || len(res.Records[0].Values) != 1 {
		t.Fatalf("query %q returned %d records, want one value", q, len(res.Records))
	}
	n, ok := res.Records[0].Values[0].(int64)
	if !ok {
		t.Fatalf("query %q returned %T, want an integer", q, res.Records[0].Values[0])
	}
	return n
}
