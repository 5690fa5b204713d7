package load

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
	"github.com/crmgraph/crmgraph/loader/neo4jw"
)

// TestWriteFindsRefusedRow gives write a chunk in which Neo4j refuses one
// row (a map is not a property value): the chunk is split until that row
// is found and marked poison, and every other row is written.
func TestWriteFindsRefusedRow(t *testing.T) {
	s := natstest.Start(t)
	s.Setup(t)
	d := neo4jtest.Open(t)
	ctx := context.Background()
	l, err := New(ctx, s.JS, neo4jw.New(d, neo4jtest.Database), Config{},
		slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var items []*item
	for i := range 37 {
		props := map[string]any{"Name": fmt.Sprint("n", i), "_seq": int64(i + 1)}
		if i == 23 {
			props["Nested"] = map[string]any{"a": int64(1)}
		}
		items = append(items, &item{seq: uint64(i + 1), op: events.OpUpsert, label: "Contact",
			row: neo4jw.NewRow(fmt.Sprint(i), int64(i+1), "zoho.run1", props)})
	}
	res, err := l.write(ctx, ctx, items)
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	if res.Total.Created != 36 {
		t.Errorf("created %d, want 36", res.Total.Created)
	}
	for i, it := range items {
		if (it.poison != "") != (i == 23) {
			t.Errorf("item %d poison %q", i, it.poison)
		}
	}
	if !strings.Contains(items[23].poison, "neo4j refused") {
		t.Errorf("reason %q does not say Neo4j refused the record", items[23].poison)
	}
	if n := neo4jtest.Count(t, d, "MATCH (n:Contact) RETURN count(n)", nil); n != 36 {
		t.Errorf("%d contacts, want 36", n)
	}
}
