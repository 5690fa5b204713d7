package neo4jw

import (
	"cmp"
	"slices"
)

// item is one row to plan: its wave, the statement it belongs to, and the
// keys of the two nodes it locks.
type item struct {
	wave  string
	shape string
	from  string
	to    string
}

// wave is a set of partitions that may run at the same time.
type wave []partition

// partition is a sequence of batches run one after the other; batches are
// lists of row indexes that share a shape.
type partition [][]int

// plan splits items into waves (in order of wave name), each into at most
// parallel partitions that share no node, each into batches of at most
// size rows of one shape.
//
// When all items fit in one batch, they form a single wave: a small run
// (an incremental one) then costs one round of transactions rather than
// one per field. Waves exist to keep groups small when there are many
// rows; with few rows, a group joined through a shared start node stays
// small too.
func plan(items []item, size, parallel int) []wave {
	byWave := make(map[string][]int)
	for i, it := range items {
		w := it.wave
		if len(items) <= size {
			w = ""
		}
		byWave[w] = append(byWave[w], i)
	}
	names := make([]string, 0, len(byWave))
	for name := range byWave {
		names = append(names, name)
	}
	slices.Sort(names)

	waves := make([]wave, 0, len(names))
	for _, name := range names {
		waves = append(waves, planWave(items, byWave[name], size, parallel))
	}
	return waves
}

// planWave deals the groups of rows that share a node to partitions, the
// largest group first, each to the partition with the fewest rows.
func planWave(items []item, rows []int, size, parallel int) wave {
	groups := groupByNode(items, rows)
	slices.SortStableFunc(groups, func(a, b []int) int { return cmp.Compare(len(b), len(a)) })
	if parallel < 1 {
		parallel = 1
	}
	parts := make([][]int, min(parallel, len(groups)))
	for _, g := range groups {
		least := 0
		for p := range parts {
			if len(parts[p]) < len(parts[least]) {
				least = p
			}
		}
		parts[least] = append(parts[least], g...)
	}

	w := make(wave, 0, len(parts))
	for _, p := range parts {
		w = append(w, batches(items, p, size))
	}
	return w
}

// batches sorts a partition's rows by shape, start and end key, and cuts
// them into batches of at most size rows of one shape.
func batches(items []item, rows []int, size int) partition {
	slices.SortFunc(rows, func(a, b int) int {
		x, y := items[a], items[b]
		return cmp.Or(cmp.Compare(x.shape, y.shape), cmp.Compare(x.from, y.from),
			cmp.Compare(x.to, y.to))
	})
	var out partition
	for start := 0; start < len(rows); {
		end := start + 1
		for end < len(rows) && end-start < size && items[rows[end]].shape == items[rows[start]].shape {
			end++
		}
		out = append(out, rows[start:end:end])
		start = end
	}
	return out
}

// groupByNode returns the connected groups of rows: two rows are in one
// group when they share a start or an end node, directly or through other
// rows of the wave.
func groupByNode(items []item, rows []int) [][]int {
	nodes := make(map[string]int, len(rows))
	parent := make([]int, 0, len(rows))
	node := func(key string) int {
		if n, ok := nodes[key]; ok {
			return n
		}
		n := len(parent)
		nodes[key] = n
		parent = append(parent, n)
		return n
	}
	find := func(n int) int {
		for parent[n] != n {
			parent[n] = parent[parent[n]]
			n = parent[n]
		}
		return n
	}
	for _, r := range rows {
		a, b := find(node(items[r].from)), find(node(items[r].to))
		if a != b {
			parent[a] = b
		}
	}

	byRoot := make(map[int]int)
	var groups [][]int
	for _, r := range rows {
		root := find(nodes[items[r].to])
		g, ok := byRoot[root]
		if !ok {
			g = len(groups)
			byRoot[root] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], r)
	}
	return groups
}
