package bench

import (
	"context"
	"strconv"
	"time"

	"github.com/crmgraph/crmgraph/deploy/stack"
	"github.com/crmgraph/crmgraph/events"
)

// Full measures full syncs into an empty graph. Each run starts from a new
// installation: no stream, no buckets, no graph.
func (b *Bench) Full(ctx context.Context) (*Result, error) {
	r := &Result{Scenario: "full", Scale: b.Scale}
	var seconds []float64
	for i := range b.Runs {
		if err := b.reset(ctx); err != nil {
			return nil, err
		}
		if err := b.startStages(ctx); err != nil {
			return nil, err
		}
		s, err := b.syncOnce(ctx, events.ModeFull)
		if err != nil {
			return nil, err
		}
		b.record(r, s)
		seconds = append(seconds, s.seconds)
		b.Log.Info("full sync", "run", i+1, "seconds", s.seconds)
		// Stopped after every run, the last too, so that the next scenario's
		// stages start afresh and report their own peak memory.
		b.stopStagesInto(r)
	}
	r.summarize(seconds)
	return r, nil
}

// Warmup runs full syncs that are not recorded, so that the scenarios
// meet a Neo4j whose JVM has compiled its hot paths and whose query cache
// holds the stages' statements, as a long-running server's would. The
// first sync after Neo4j starts is slower (the demo shows it); its time is
// logged.
func (b *Bench) Warmup(ctx context.Context, runs int) error {
	for i := range runs {
		if err := b.reset(ctx); err != nil {
			return err
		}
		if err := b.startStages(ctx); err != nil {
			return err
		}
		s, err := b.syncOnce(ctx, events.ModeFull)
		if err != nil {
			return err
		}
		b.stopStages()
		b.Log.Info("warm-up full sync, not recorded", "run", i+1, "seconds", s.seconds)
	}
	return nil
}

// Noop measures full syncs that find nothing changed; it expects the
// graph and stream of a full sync and leaves them as they are.
func (b *Bench) Noop(ctx context.Context) (*Result, error) {
	return b.repeatSync(ctx, "noop", events.ModeFull, nil)
}

// Incremental changes the simulated CRM (1% updated, 0.1% deleted, 0.5%
// created) before each incremental sync.
func (b *Bench) Incremental(ctx context.Context) (*Result, error) {
	return b.repeatSync(ctx, "incremental", events.ModeIncremental, func() error {
		_, err := b.P.Mutate(ctx, 0.01, 0.005, 0.001)
		return err
	})
}

func (b *Bench) repeatSync(ctx context.Context, name string, mode events.Mode,
	before func() error) (*Result, error) {
	r := &Result{Scenario: name, Scale: b.Scale}
	if b.loader == nil {
		if err := b.startStages(ctx); err != nil {
			return nil, err
		}
	}
	var seconds []float64
	for i := range b.Runs {
		if before != nil {
			if err := before(); err != nil {
				return nil, err
			}
		}
		s, err := b.syncOnce(ctx, mode)
		if err != nil {
			return nil, err
		}
		b.record(r, s)
		seconds = append(seconds, s.seconds)
		b.Log.Info(name+" sync", "run", i+1, "seconds", s.seconds)
	}
	b.stopStagesInto(r)
	r.summarize(seconds)
	return r, nil
}

// record adds one sync's counts to r.
func (b *Bench) record(r *Result, s *sync) {
	t := s.extracted.Totals()
	r.Records = t.Fetched
	r.Nodes, r.Relationships, r.GraphWrites = 0, 0, s.graphWrite
	if n := s.loaded.Nodes; n != nil {
		r.Nodes = n.Created + n.Updated + n.Deleted
	}
	if l := s.linked.Links; l != nil {
		r.Relationships = l.Created + l.Removed
	}
	r.peak("extractor", s.extractMB)
	r.cpu("extractor", s.extractCPU)
	r.cpu("neo4j", s.neo4jCPU)
	if r.Extra == nil {
		r.Extra = map[string]float64{}
	}
	// Each stage's own seconds, from its marker, of the last run.
	r.Extra["extract_seconds"] = s.extracted.Seconds
	r.Extra["load_seconds"] = s.loaded.Seconds
	r.Extra["link_seconds"] = s.linked.Seconds
	if z := s.extracted.Zoho; z != nil {
		r.Extra["fetch_seconds"] = z.FetchSeconds
		r.Extra["zoho_calls"] = float64(z.Calls)
	}
}

// stopStagesInto stops the long-running stages and keeps their peaks.
func (b *Bench) stopStagesInto(r *Result) {
	for _, p := range b.stopStages() {
		r.peak(p.Name, p.PeakRSSMB())
		r.cpu(p.Name, p.CPUSeconds())
	}
}

// Replay rebuilds the graph from the stream into an empty database:
// `loader replay --wipe` until the stream is drained, then `relinker
// relink --all`, timed together.
func (b *Bench) Replay(ctx context.Context) (*Result, error) {
	r := &Result{Scenario: "replay", Scale: b.Scale}
	b.stopStages()
	var seconds []float64
	for i := range b.Runs {
		if err := b.wipeGraph(ctx); err != nil {
			return nil, err
		}
		start, cpu0 := time.Now(), b.neo4jCPU()
		for _, step := range []struct {
			stage string
			args  []string
		}{
			{"loader", []string{"replay"}},
			{"relinker", []string{"relink", "--all"}},
		} {
			proc, err := b.P.StartStage(step.stage, "", step.args...)
			if err != nil {
				return nil, err
			}
			if err := proc.Wait(ctx); err != nil {
				return nil, err
			}
			r.peak(step.stage, proc.PeakRSSMB())
			r.cpu(step.stage, proc.CPUSeconds())
		}
		seconds = append(seconds, time.Since(start).Seconds())
		r.cpu("neo4j", b.neo4jCPU()-cpu0)
		b.Log.Info("replay", "run", i+1, "seconds", seconds[len(seconds)-1])
	}
	g, err := stack.CountGraph(ctx, b.Driver, "neo4j")
	if err != nil {
		return nil, err
	}
	r.Nodes, r.Relationships = int(g.Nodes), int(g.Relationships)
	r.Records, r.GraphWrites = r.Nodes, r.Nodes+r.Relationships
	r.summarize(seconds)
	return r, nil
}

// Zoho runs full syncs against the simulator's zoho latency profile and an
// edition's concurrency limit, and compares the fetch time with the floor
// that latency and concurrency set: pages x mean latency / concurrency.
func (b *Bench) Zoho(ctx context.Context, edition string, concurrency int,
	meanLatency time.Duration) (*Result, error) {
	r := &Result{Scenario: "zoho", Scale: b.Scale}
	b.stopStages()
	if err := b.P.RestartSim(ctx, "-scale", strconv.Itoa(b.Scale), "-profile", "zoho",
		"-edition", edition, "-refresh-limit", "-1"); err != nil {
		return nil, err
	}
	saved := b.P.Env
	b.P.Env = append(saved, "ZOHO_EDITION="+edition)
	defer func() { b.P.Env = saved }()

	var seconds, fetch []float64
	var calls float64
	for i := range b.Runs {
		if err := b.reset(ctx); err != nil {
			return nil, err
		}
		if err := b.startStages(ctx); err != nil {
			return nil, err
		}
		s, err := b.syncOnce(ctx, events.ModeFull)
		if err != nil {
			return nil, err
		}
		b.record(r, s)
		seconds = append(seconds, s.seconds)
		if z := s.extracted.Zoho; z != nil {
			fetch = append(fetch, z.FetchSeconds)
			calls = float64(z.Calls)
		}
		b.stopStagesInto(r)
		b.Log.Info("zoho-profile sync", "run", i+1, "seconds", s.seconds)
	}
	r.summarize(seconds)
	floor := calls * meanLatency.Seconds() / float64(concurrency)
	fr := &Result{}
	fr.summarize(fetch)
	r.Extra = map[string]float64{
		"fetch_seconds_median":          fr.SecondsMedian,
		"zoho_calls":                    calls,
		"concurrency":                   float64(concurrency),
		"calls_x_latency_over_conc_sec": floor,
		"fetch_over_floor":              fr.SecondsMedian / floor,
	}
	return r, nil
}

// Ratios sets the full and replay scenarios' ratio to the baseline's
// median from the same bench run.
func Ratios(results []*Result, baseline *Result) {
	if baseline == nil || baseline.SecondsMedian == 0 {
		return
	}
	for _, r := range results {
		if r.Scenario == "full" || r.Scenario == "replay" {
			v := r.SecondsMedian / baseline.SecondsMedian
			r.RatioToBaseline = &v
		}
	}
}
