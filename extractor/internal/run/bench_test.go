package run_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/run"
	"github.com/crmgraph/crmgraph/extractor/internal/testenv"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

// BenchmarkFullRunInstant measures a seed-scale full run into an empty
// stream against the instant simulator: records per second fetched and
// published.
func BenchmarkFullRunInstant(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := testenv.New(b, testenv.Options{})
		b.StartTimer()
		start, cpu := time.Now(), cpuTime()
		mk, err := e.Runner.Once(context.Background(), events.ModeFull)
		took, cpu := time.Since(start), cpuTime()-cpu
		if err != nil {
			b.Fatal(err)
		}
		t := mk.Totals()
		b.ReportMetric(float64(t.Fetched)/took.Seconds(), "fetched/s")
		b.ReportMetric(float64(t.Changed)/took.Seconds(), "published/s")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		fmt.Printf("full run, instant simulator: %d records fetched and %d published in "+
			"%.2fs: %.0f records/s (reading Zoho %.2fs, %d calls; %.2f CPU-s in this "+
			"process, simulator and NATS server included; load average %s)\n", t.Fetched,
			t.Changed, took.Seconds(), float64(t.Changed)/took.Seconds(), mk.Zoho.FetchSeconds,
			mk.Zoho.Calls, cpu.Seconds(), loadAverage())
	}
}

// BenchmarkFullRunZohoProfile measures seed-scale full runs against the
// simulator's zoho profile (200 to 400 ms a call, enterprise: 20 calls at
// once, 10 heavy ones) and compares the time spent reading Zoho with
// calls x mean latency / concurrency. The first run finds an empty stream:
// it learns the modules' sizes and times by COQL (probe.go) and slices the
// largest; the second knows them from the stream and slices the largest;
// the last is a first run without the probe, which reads each module as
// one chain of pages.
func BenchmarkFullRunZohoProfile(b *testing.B) {
	for b.Loop() {
		e := testenv.New(b, testenv.Options{Sim: zohosim.Config{Profile: "zoho"}})
		benchRuns(b, e, []step{{"first (empty stream, probed)", "x-ideal-first"},
			{"second (sliced from the stream)", "x-ideal-second"}})
		e = testenv.New(b, testenv.Options{Sim: zohosim.Config{Profile: "zoho"},
			Run: func(c *run.Config) { c.NoProbe = true }})
		benchRuns(b, e, []step{{"first (empty stream, not probed)", "x-ideal-noprobe"}})
	}
}

// step is one run of a benchmark: what it is, and its metric's name.
type step struct{ name, metric string }

// benchRuns runs one full run per step and reports how it compares with
// the ideal.
func benchRuns(b *testing.B, e *testenv.Env, steps []step) {
	const meanLatency = 300 * time.Millisecond
	for _, s := range steps {
		mk, err := e.Runner.Once(context.Background(), events.ModeFull)
		if err != nil {
			b.Fatal(err)
		}
		conc := e.Zoho.Concurrency()
		ideal := float64(mk.Zoho.Calls) * meanLatency.Seconds() / float64(conc)
		ratio := mk.Zoho.FetchSeconds / ideal
		b.ReportMetric(ratio, s.metric)
		fmt.Printf("full run, zoho profile, %s: read Zoho in %.2fs; %d calls x %s / %d "+
			"= %.2fs; ratio %.2f (run %.2fs, %d records; load average %s)\n", s.name,
			mk.Zoho.FetchSeconds, mk.Zoho.Calls, meanLatency, conc, ideal, ratio, mk.Seconds,
			mk.Totals().Fetched, loadAverage())
		st := e.Sim.Sim.Stats()
		fmt.Printf("  simulator: %d calls, %d throttled, peak %d in flight; %d retries\n",
			st.Calls, st.Throttled, st.PeakInFlight, mk.Zoho.Retries)
	}
}

// cpuTime returns the CPU time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage returns the machine's one-minute load average, which tells
// how much the wall times were shared with other work.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

// BenchmarkScale17FirstRun measures a first full run at simulator scale 17
// (998,597 records; Contacts 272,000 and Leads 170,000, past Zoho's
// 100,000-record page token limit) into an empty stream, against the
// instant simulator, and checks that every module was read completely:
// with the modules probed and sliced, and with each read as one chain.
func BenchmarkScale17FirstRun(b *testing.B) {
	for _, noProbe := range []bool{false, true} {
		name := map[bool]string{false: "probed", true: "not probed"}[noProbe]
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				e := testenv.New(b, testenv.Options{Sim: zohosim.Config{Scale: 17},
					Run: func(c *run.Config) { c.NoProbe = noProbe }})
				b.StartTimer()
				firstRunAtScale(b, e, name)
			}
		})
	}
}

// firstRunAtScale runs a full run, checks its counts against the
// simulator's and prints them.
func firstRunAtScale(b *testing.B, e *testenv.Env, name string) {
	counts := e.Sim.Sim.Counts()
	start := time.Now()
	mk, err := e.Runner.Once(context.Background(), events.ModeFull)
	took := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	for module, n := range counts.Records {
		want := events.ModuleCounts{Fetched: n, Changed: n}
		if got := mk.Modules[module]; got != want {
			b.Errorf("marker counts of %s: %+v, want %+v", module, got, want)
		}
	}
	t := mk.Totals()
	b.ReportMetric(float64(t.Fetched)/took.Seconds(), "fetched/s")
	fmt.Printf("first full run, scale 17, instant simulator, %s: %d records of %d fetched, "+
		"%d published in %.2fs (reading Zoho %.2fs, %d calls; Contacts %d, Leads %d; "+
		"load average %s)\n", name, t.Fetched, counts.TotalRecords, t.Changed,
		took.Seconds(), mk.Zoho.FetchSeconds, mk.Zoho.Calls, mk.Modules["Contacts"].Fetched,
		mk.Modules["Leads"].Fetched, loadAverage())
}
