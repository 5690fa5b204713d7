package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
)

// Result is what one scenario measured; the JSON names are the contract of
// deploy/bench/results/latest.json.
type Result struct {
	Scenario string `json:"scenario"`
	Scale    int    `json:"scale"`
	Runs     int    `json:"runs"`
	// Records is the number of records the scenario moved per run.
	Records       int     `json:"records"`
	Nodes         int     `json:"nodes"`
	Relationships int     `json:"relationships"`
	SecondsMedian float64 `json:"seconds_median"`
	SecondsMin    float64 `json:"seconds_min"`
	SecondsMax    float64 `json:"seconds_max"`
	// RatioToBaseline compares the median with the baseline's median.
	RatioToBaseline *float64 `json:"ratio_to_baseline,omitempty"`
	RecordsPerSec   float64  `json:"records_per_second"`
	NodesPerSec     float64  `json:"nodes_per_second"`
	RelsPerSec      float64  `json:"relationships_per_second"`
	// GraphWrites counts nodes and relationships created, updated or
	// deleted per run.
	GraphWrites int `json:"graph_writes"`
	// PeakRSSMB is the highest peak resident memory of each stage process
	// across the runs.
	PeakRSSMB map[string]float64 `json:"peak_rss_mb"`
	// CPUSeconds is the CPU time (user and system) each process used per
	// run, on average: the stages and, when the bench knows its process,
	// Neo4j. It tells where a scenario's time goes.
	CPUSeconds map[string]float64 `json:"cpu_seconds,omitempty"`
	// Extra holds scenario-specific figures (the zoho scenario's fetch
	// time against pages x latency / concurrency, for example).
	Extra map[string]float64 `json:"extra,omitempty"`

	cpuTotal map[string]float64 // CPU seconds over all runs, by process
}

// summarize fills the timing fields from the seconds of each run.
func (r *Result) summarize(seconds []float64) {
	s := slices.Clone(seconds)
	slices.Sort(s)
	r.Runs = len(s)
	r.SecondsMin, r.SecondsMax = s[0], s[len(s)-1]
	r.SecondsMedian = s[len(s)/2]
	if len(s)%2 == 0 {
		r.SecondsMedian = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	for proc, total := range r.cpuTotal {
		if r.CPUSeconds == nil {
			r.CPUSeconds = map[string]float64{}
		}
		r.CPUSeconds[proc] = total / float64(r.Runs)
	}
	if r.SecondsMedian > 0 {
		r.RecordsPerSec = float64(r.Records) / r.SecondsMedian
		r.NodesPerSec = float64(r.Nodes) / r.SecondsMedian
		r.RelsPerSec = float64(r.Relationships) / r.SecondsMedian
	}
}

// peak keeps the highest peak memory seen for a stage.
func (r *Result) peak(stage string, mb float64) {
	if r.PeakRSSMB == nil {
		r.PeakRSSMB = map[string]float64{}
	}
	r.PeakRSSMB[stage] = max(r.PeakRSSMB[stage], mb)
}

// cpu adds a process's CPU seconds of one run, or of several runs of a
// process that stays up across them.
func (r *Result) cpu(proc string, seconds float64) {
	if seconds <= 0 {
		return
	}
	if r.cpuTotal == nil {
		r.cpuTotal = map[string]float64{}
	}
	r.cpuTotal[proc] += seconds
}

// WriteJSON writes the results to path, creating its folder.
func WriteJSON(path string, results []*Result) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding results: %w", err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// WriteTable prints the results as an aligned table.
func WriteTable(w io.Writer, results []*Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tscale\truns\trecords\tmedian s\tmin s\tmax s\tx baseline\t"+
		"records/s\tnodes/s\trels/s\tgraph writes\trss extractor MB\trss loader MB\t"+
		"rss relinker MB\tcpu s extractor/loader/relinker/neo4j\t")
	for _, r := range results {
		ratio := "-"
		if r.RatioToBaseline != nil {
			ratio = fmt.Sprintf("%.2f", *r.RatioToBaseline)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%s\t"+
			"%.0f\t%.0f\t%.0f\t%d\t%s\t%s\t%s\t%s\t\n",
			r.Scenario, r.Scale, r.Runs, r.Records, r.SecondsMedian, r.SecondsMin,
			r.SecondsMax, ratio, r.RecordsPerSec, r.NodesPerSec, r.RelsPerSec, r.GraphWrites,
			rss(r, "extractor"), rss(r, "loader"), rss(r, "relinker"), cpus(r))
	}
	tw.Flush()
	for _, r := range results {
		for k, v := range r.Extra {
			fmt.Fprintf(w, "%s: %s = %.2f\n", r.Scenario, k, v)
		}
	}
}

// cpus formats a result's CPU seconds per run, "-" for a process that
// took no part or was not measured.
func cpus(r *Result) string {
	var parts []string
	for _, proc := range []string{"extractor", "loader", "relinker", "neo4j"} {
		if v, ok := r.CPUSeconds[proc]; ok {
			parts = append(parts, fmt.Sprintf("%.1f", v))
		} else {
			parts = append(parts, "-")
		}
	}
	return strings.Join(parts, "/")
}

func rss(r *Result, stage string) string {
	if v, ok := r.PeakRSSMB[stage]; ok {
		return fmt.Sprintf("%.0f", v)
	}
	return "-"
}
