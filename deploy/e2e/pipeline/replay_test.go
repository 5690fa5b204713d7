package pipeline

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/deploy/stack"
	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
)

const (
	seedRecords = 58741
	seedLinks   = 73720
)

// TestReplayRebuildsTheSameGraph runs a seed-scale full sync through the
// real processes, then rebuilds the graph from the stream into an empty
// database with the documented commands (loader replay, relinker relink
// --all) and checks the rebuilt graph equals the original, property for
// property. It then renames a relationship type in the mapping and applies
// it by relinking, without a single call to Zoho.
func TestReplayRebuildsTheSameGraph(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ns := natstest.Start(t)
	driver := neo4jtest.Open(t)
	p := &stack.Pipeline{Bin: bin, LogDir: t.TempDir(), NATSURL: ns.URL,
		Neo4jURI: neo4jtest.URI(), Source: "zoho"}
	sim, err := p.StartSim(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Stop(10 * time.Second) })

	loader, err := p.StartStage("loader", "")
	if err != nil {
		t.Fatal(err)
	}
	relinker, err := p.StartStage("relinker", "")
	if err != nil {
		t.Fatal(err)
	}
	extracted, _, err := p.Extract(ctx, events.ModeFull)
	if err != nil {
		t.Fatal(err)
	}
	_, linked, err := p.Markers(ctx, ns.JS, extracted.Run)
	if err != nil {
		t.Fatalf("%v (logs in %s)", err, p.LogDir)
	}
	for _, proc := range []*stack.Proc{loader, relinker} {
		if err := proc.Stop(30 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if linked.Links.Parked != 0 {
		t.Errorf("%d relationships parked after a full sync, want 0", linked.Links.Parked)
	}
	wantGraph(t, driver, seedRecords, seedLinks)
	original := neo4jtest.MustChecksum(t, driver)

	// Rebuild into an empty database.
	if err := neo4jtest.Wipe(ctx, driver); err != nil {
		t.Fatal(err)
	}
	wantGraph(t, driver, 0, 0)
	callsBefore := simCalls(t, p.SimURL)
	runToEnd(t, ctx, p, "loader", "replay")
	runToEnd(t, ctx, p, "relinker", "relink", "--all")
	wantGraph(t, driver, seedRecords, seedLinks)
	if rebuilt := neo4jtest.MustChecksum(t, driver); rebuilt != original {
		t.Fatalf("rebuilt graph checksum %s, original %s", rebuilt, original)
	}

	// A renamed relationship type, applied from the stream alone.
	mapping := filepath.Join(t.TempDir(), "mapping.yaml")
	err = os.WriteFile(mapping, []byte("modules:\n  Contacts:\n    Account_Name: {type: EMPLOYED_BY}\n"),
		0o644)
	if err != nil {
		t.Fatal(err)
	}
	worksAt := neo4jtest.Count(t, driver, "MATCH ()-[r:WORKS_AT]->() RETURN count(r)", nil)
	runToEnd(t, ctx, p, "relinker", "relink", "--all", "--mapping", mapping)
	if n := neo4jtest.Count(t, driver, "MATCH ()-[r:WORKS_AT]->() RETURN count(r)", nil); n != 0 {
		t.Errorf("%d WORKS_AT relationships left after renaming the type", n)
	}
	employed := neo4jtest.Count(t, driver, "MATCH (:Contact)-[r:EMPLOYED_BY]->(:Account) "+
		"RETURN count(r)", nil)
	if employed != worksAt || worksAt == 0 {
		t.Errorf("%d EMPLOYED_BY relationships, want the %d WORKS_AT ones", employed, worksAt)
	}
	wantGraph(t, driver, seedRecords, seedLinks)
	if after := simCalls(t, p.SimURL); after != callsBefore {
		t.Errorf("the rebuild and the mapping change made %.0f Zoho calls, want 0",
			after-callsBefore)
	}
}

// runToEnd runs a stage command that exits by itself and fails the test
// when it does not exit 0.
func runToEnd(t *testing.T, ctx context.Context, p *stack.Pipeline, stage string, args ...string) {
	t.Helper()
	proc, err := p.StartStage(stage, "", args...)
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(ctx); err != nil {
		t.Fatalf("%s %v: %v", stage, args, err)
	}
}

func wantGraph(t *testing.T, d neo4j.DriverWithContext, nodes, rels int64) {
	t.Helper()
	g, err := stack.CountGraph(context.Background(), d, neo4jtest.Database)
	if err != nil {
		t.Fatal(err)
	}
	if g.Nodes != nodes || g.Relationships != rels {
		t.Fatalf("graph has %d nodes and %d relationships, want %d and %d",
			g.Nodes, g.Relationships, nodes, rels)
	}
}

// simCalls reads how many API calls the simulator has answered.
func simCalls(t *testing.T, simURL string) float64 {
	t.Helper()
	resp, err := http.Get(simURL + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stats map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		t.Fatal(err)
	}
	calls, ok := stats["calls"].(float64)
	if !ok {
		t.Fatalf("simulator stats have no calls count: %v", stats)
	}
	return calls
}
