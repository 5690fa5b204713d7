package run

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crmgraph/crmgraph/extractor/zoho"
)

// A full run slices its largest modules at the quantiles of their
// Modified_Time (slice.go). After an earlier run the stream tells them;
// before the first run, or for a module new to the stream, nothing does,
// and the module would be read as one chain of pages, whose length sets
// the run's at Zoho's latency. probe learns the times from Zoho: it reads
// the Modified_Time of every record of such a module by COQL, 2,000 a
// query in ascending order, a few queries side by side and twice as many
// each round while the module goes on; past COQL's reach of 100,000
// records it starts again from the last time read. That is about one heavy
// call for every ten pages of records. When Zoho refuses the query (no
// ZohoCRM.coql.READ scope, a module COQL cannot read), the module is read
// as one ordered chain (limit.go).

// maxProbeBatch bounds the queries of one module in one round.
const maxProbeBatch = 16

// shouldProbe reports whether a module's times are to be learned from
// Zoho before it is read: a full read, in a full run, of a module with
// Modified_Time of which the stream holds no record.
func (x *Run) shouldProbe(m *moduleResult) bool {
	return x.snap != nil && !x.r.cfg.NoProbe && m.full && m.schema && m.modified &&
		!m.users && x.snap.LiveCount(m.name) == 0
}

// probe sets m.times to the Modified_Time of each of the module's records,
// in ascending order, unless Zoho refuses the query.
func (x *Run) probe(ctx context.Context, m *moduleResult) error {
	start := time.Now()
	if x.probeDenied.Load() {
		return nil
	}
	times, err := x.probeTimes(ctx, m.name)
	var ae *zoho.APIError
	if errors.As(err, &ae) {
		// Without the scope no module can be probed; another module may
		// just not be one COQL reads.
		if ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden {
			x.probeDenied.Store(true)
		}
		x.log.Info("module not probed: Zoho refused the query", "module", m.name,
			"error", err)
		return nil
	}
	if err != nil {
		return err
	}
	m.times, m.probed = times, true
	x.log.Debug("module probed", "module", m.name, "records", len(times),
		"seconds", round(time.Since(start).Seconds()))
	return nil
}

// probeTimes returns the Modified_Time of each of a module's records in
// ascending order, in Unix seconds.
func (x *Run) probeTimes(ctx context.Context, module string) ([]int64, error) {
	const rows = zoho.MaxQueryRows
	var times []int64
	var from time.Time // where the queries start; zero: at the first record
	skip := 0          // records at from already read
	next, batch := 0, 1
	for {
		if next+rows > zoho.MaxQueryReach {
			last := times[len(times)-1]
			if !from.IsZero() && last == from.Unix() {
				return times, nil // COQL cannot reach past one second: a sample
			}
			from, next = time.Unix(last, 0).UTC(), 0
			skip = len(times) - slices.Index(times, last)
		}
		pages, err := x.probeRound(ctx, module, from, next, batch)
		if err != nil {
			return nil, err
		}
		for _, p := range pages {
			for _, t := range p.times {
				if skip > 0 && t.Unix() == from.Unix() {
					skip--
					continue
				}
				times = append(times, t.Unix())
			}
			if len(p.times) < rows || !p.more {
				return times, nil
			}
		}
		next += len(pages) * rows
		batch = min(2*batch, maxProbeBatch)
	}
}

// probePage is the answer to one query of a probe.
type probePage struct {
	times []time.Time
	more  bool
}

// probeRound runs up to batch queries side by side, from offset next on.
func (x *Run) probeRound(ctx context.Context, module string, from time.Time,
	next, batch int) ([]probePage, error) {
	const rows = zoho.MaxQueryRows
	var offsets []int
	for i := range batch {
		if o := next + i*rows; o+rows <= zoho.MaxQueryReach {
			offsets = append(offsets, o)
		}
	}
	pages := make([]probePage, len(offsets))
	g, gctx := errgroup.WithContext(ctx)
	for i, o := range offsets {
		g.Go(func() (err error) {
			pages[i].times, pages[i].more, err = x.r.zoho.ModifiedTimes(gctx, module, from,
				o, rows)
			return err
		})
	}
	return pages, g.Wait()
}

// liveCount returns how many records a module holds: as probed, else as
// the stream holds.
func (x *Run) liveCount(m *moduleResult) int {
	if m.probed {
		return len(m.times)
	}
	return x.snap.LiveCount(m.name)
}

// quantiles returns n-1 times that cut a module's records into n slices of
// about equal size (fewer when many records share a time): from the probe,
// else from the stream.
func (x *Run) quantiles(m *moduleResult, n int) []time.Time {
	if !m.probed {
		return x.snap.Quantiles(m.name, n)
	}
	if len(m.times) == 0 || n < 2 {
		return nil
	}
	var cuts []time.Time
	for k := 1; k < n; k++ {
		t := m.times[k*len(m.times)/n]
		if len(cuts) == 0 || t > cuts[len(cuts)-1].Unix() {
			cuts = append(cuts, time.Unix(t, 0).UTC())
		}
	}
	return cuts
}
