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
// calls x mean latency / concurrency. The first run finds an empty stream
// and reads every module as one chain of pages; the second knows the
// modules' sizes and times from the stream and slices the largest.
func BenchmarkFullRunZohoProfile(b *testing.B) {
	const meanLatency = 300 * time.Millisecond
	for b.Loop() {
		e := testenv.New(b, testenv.Options{Sim: zohosim.Config{Profile: "zoho"}})
		for _, name := range []string{"first (empty stream)", "second (sliced)"} {
			mk, err := e.Runner.Once(context.Background(), events.ModeFull)
			if err != nil {
				b.Fatal(err)
			}
			conc := e.Zoho.Concurrency()
			ideal := float64(mk.Zoho.Calls) * meanLatency.Seconds() / float64(conc)
			ratio := mk.Zoho.FetchSeconds / ideal
			b.ReportMetric(ratio, "x-ideal-"+name[:5])
			fmt.Printf("full run, zoho profile, %s: read Zoho in %.2fs; %d calls x %s / %d "+
				"= %.2fs; ratio %.2f (run %.2fs, %d records; load average %s)\n", name,
				mk.Zoho.FetchSeconds, mk.Zoho.Calls, meanLatency, conc, ideal, ratio, mk.Seconds,
				mk.Totals().Fetched, loadAverage())
			st := e.Sim.Sim.Stats()
			fmt.Printf("  simulator: %d calls, %d throttled, peak %d in flight; %d retries\n",
				st.Calls, st.Throttled, st.PeakInFlight, mk.Zoho.Retries)
		}
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
