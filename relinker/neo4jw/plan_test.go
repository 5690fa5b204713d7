package neo4jw

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestPlanPartitionsShareNoNode checks the property the writer relies on:
// within a wave, no node is in two partitions, every row is planned once,
// and batches hold one shape and at most size rows.
func TestPlanPartitionsShareNoNode(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var items []item
	for i := range 5000 {
		c := fmt.Sprintf("Contact\x00c%d", i)
		items = append(items,
			item{wave: "Owner", shape: "C-OWNED_BY-U", from: c,
				to: fmt.Sprintf("User\x00u%d", rnd.IntN(40))},
			item{wave: "Account_Name", shape: "C-WORKS_AT-A", from: c,
				to: fmt.Sprintf("Account\x00a%d", rnd.IntN(700))},
			// Reporting lines chain contacts, which joins their groups.
			item{wave: "Reporting_To", shape: "C-REPORTS_TO-C", from: c,
				to: fmt.Sprintf("Contact\x00c%d", rnd.IntN(5000))})
	}
	cases := []struct {
		items    []item
		size     int
		parallel int
		waves    int
	}{
		{items, 100, 1, 3}, {items, 100, 2, 3}, {items, 100, 4, 3}, {items, 100, 8, 3},
		// Few rows: one wave, however many fields.
		{items[:90], 100, 2, 1},
	}
	for _, c := range cases {
		items, parallel := c.items, c.parallel
		t.Run(fmt.Sprintf("rows=%d/parallel=%d", len(items), parallel), func(t *testing.T) {
			waves := plan(items, c.size, parallel)
			if len(waves) != c.waves {
				t.Fatalf("%d waves, want %d", len(waves), c.waves)
			}
			seen := make([]bool, len(items))
			for _, w := range waves {
				if len(w) > parallel {
					t.Fatalf("%d partitions, want at most %d", len(w), parallel)
				}
				owner := map[string]int{}
				for p, part := range w {
					for _, b := range part {
						if len(b) > 100 {
							t.Fatalf("batch of %d rows", len(b))
						}
						for _, i := range b {
							if seen[i] {
								t.Fatalf("row %d planned twice", i)
							}
							seen[i] = true
							if items[i].shape != items[b[0]].shape {
								t.Fatalf("batch mixes shapes")
							}
							for _, n := range []string{items[i].from, items[i].to} {
								if q, ok := owner[n]; ok && q != p {
									t.Fatalf("node %q in partitions %d and %d", n, q, p)
								}
								owner[n] = p
							}
						}
					}
				}
			}
			for i, ok := range seen {
				if !ok {
					t.Fatalf("row %d not planned", i)
				}
			}
		})
	}
}
