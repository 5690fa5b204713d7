package loader

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/deploy/e2e/loader/seedtest"
	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/graph"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
	"github.com/crmgraph/crmgraph/loader/load"
	"github.com/crmgraph/crmgraph/loader/neo4jw"
)

// benchChunks are the chunk sizes the benchmarks sweep.
var benchChunks = []int{250, 500, 1000, 2000, 5000}

// BenchmarkSeedLoad loads the seed dataset into an empty graph and reports
// nodes per second, per chunk size:
//
//   - bare: neo4jw.Writer straight from memory, rows mapped beforehand,
//     one transaction per chunk, one after the other (the ceiling of the
//     statements the loader uses);
//   - bare2: the same, two chunks written at once;
//   - loader: the loader in process, from the stream (Fetch, decode, map,
//     write, count, ack) until the consumer is drained, with one and two
//     writers.
//
// Run it alone, one iteration per case:
//
//	go test ./e2e/loader -run '^$' -bench SeedLoad -benchtime 1x
func BenchmarkSeedLoad(b *testing.B) {
	evs := seedtest.Seed(b)
	e := seedtest.NewEnv(b)
	e.Publish(evs)
	rows := seedtest.MapRows(b, evs)
	for _, chunk := range benchChunks {
		b.Run(fmt.Sprintf("bare/chunk=%d", chunk), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				w := freshWriter(b, e)
				b.StartTimer()
				seedtest.BareLoad(b, w, rows, chunk)
			}
			b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "nodes/s")
		})
		b.Run(fmt.Sprintf("bare2/chunk=%d", chunk), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				w := freshWriter(b, e)
				b.StartTimer()
				bareLoadParallel(b, w, rows, chunk, 2)
			}
			b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "nodes/s")
		})
		for _, writers := range []int{1, 2} {
			b.Run(fmt.Sprintf("loader/chunk=%d/writers=%d", chunk, writers), func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					wipe(b, e)
					l := e.Loader(load.Config{ChunkSize: chunk, Writers: writers})
					if err := l.Rewind(context.Background(), false); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if err := l.Drain(context.Background()); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "nodes/s")
			})
		}
	}
}

// freshWriter wipes Neo4j and returns a prepared writer.
func freshWriter(b testing.TB, e *seedtest.Env) *neo4jw.Writer {
	b.Helper()
	wipe(b, e)
	w := neo4jw.New(e.Driver, neo4jtest.Database)
	if err := w.Prepare(context.Background()); err != nil {
		b.Fatal(err)
	}
	return w
}

func wipe(b testing.TB, e *seedtest.Env) {
	b.Helper()
	if err := neo4jtest.Wipe(context.Background(), e.Driver); err != nil {
		b.Fatal(err)
	}
}

// bareLoadParallel writes chunks of rows with n writers at once.
func bareLoadParallel(b testing.TB, w *neo4jw.Writer, rows []seedtest.Row, chunk, n int) {
	b.Helper()
	chunks := make(chan []seedtest.Row)
	errs := make(chan error, n)
	for range n {
		go func() {
			var err error
			for c := range chunks {
				if err != nil {
					continue
				}
				batch := neo4jw.NewBatch()
				for _, r := range c {
					batch.Upsert(r.Label, r.Row)
				}
				_, err = w.Write(context.Background(), batch)
			}
			errs <- err
		}()
	}
	for start := 0; start < len(rows); start += chunk {
		chunks <- rows[start:min(start+chunk, len(rows))]
	}
	close(chunks)
	for range n {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMapSeed maps every seed record body, to show what mapping costs
// beside Neo4j's writes: the loader's Mapper, the plain Mapping, and
// encoding/json into map[string]any for scale.
func BenchmarkMapSeed(b *testing.B) {
	evs := seedtest.Seed(b)
	var size int
	for _, ev := range evs {
		size += len(ev.Body)
	}
	cases := []struct {
		name string
		fn   func() func([]byte) error
	}{
		{"mapper", func() func([]byte) error {
			m := graph.Mapping{}.NewMapper()
			return func(body []byte) error { _, err := m.Properties(body); return err }
		}},
		{"mapper-released", func() func([]byte) error {
			m := graph.Mapping{}.NewMapper()
			return func(body []byte) error {
				props, err := m.Properties(body)
				m.Release(props)
				return err
			}
		}},
		{"mapping", func() func([]byte) error {
			return func(body []byte) error { _, err := graph.Mapping{}.Properties(body); return err }
		}},
		{"encoding-json", func() func([]byte) error {
			return func(body []byte) error { var m map[string]any; return json.Unmarshal(body, &m) }
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				fn := c.fn()
				for _, ev := range evs {
					if err := fn(ev.Body); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkLoaderRSS runs the loader binary over the simulator's dataset
// at CRMGRAPH_BENCH_SCALE (default 1; 10 is 587,410 records) and reports
// its peak resident memory and its rate. The rate includes the process
// start and the wait for the run's marker.
//
//	CRMGRAPH_BENCH_SCALE=10 go test ./e2e/loader -run '^$' -bench LoaderRSS \
//		-benchtime 1x -timeout 60m
func BenchmarkLoaderRSS(b *testing.B) {
	scale := 1
	if s := os.Getenv("CRMGRAPH_BENCH_SCALE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("CRMGRAPH_BENCH_SCALE=%q: want a positive integer", s)
		}
		scale = n
	}
	evs := seedtest.Seed(b)
	if scale > 1 {
		var err error
		if evs, err = seedtest.BuildEvents(scale, "seed"); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		b.StopTimer()
		e := seedtest.NewEnv(b)
		first, last := e.Publish(evs)
		e.Marker("seed", first, last)
		b.StartTimer()
		p := e.StartLoader("", nil)
		e.Loaded("seed", time.Duration(scale)*5*time.Minute)
		b.StopTimer()
		rss, err := p.PeakRSS()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
		p.Kill()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkIncremental measures what an incremental run costs the loader
// once the seed dataset is in the graph: 1% of the records (587 updates)
// and the run's marker are published, and the time until the loaded
// marker appears is reported, per fetch wait.
func BenchmarkIncremental(b *testing.B) {
	evs := seedtest.Seed(b)
	e := seedtest.NewEnv(b)
	e.Publish(evs)
	if err := e.Loader(load.Config{}).Drain(context.Background()); err != nil {
		b.Fatal(err)
	}
	run := 0
	for _, wait := range []time.Duration{25 * time.Millisecond, 100 * time.Millisecond,
		250 * time.Millisecond} {
		b.Run(fmt.Sprintf("fetch-wait=%s", wait), func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			l := e.Loader(load.Config{FetchWait: wait})
			done := make(chan error, 1)
			go func() { done <- l.Run(ctx) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					b.Error(err)
				}
			}()
			for b.Loop() {
				b.StopTimer()
				run++
				name := fmt.Sprintf("inc%d", run)
				changed := make([]events.RecordEvent, 0, len(evs)/100)
				for i := run; i < len(evs); i += 100 {
					ev := evs[i]
					ev.Run = name
					ev.Body = append([]byte(nil), ev.Body...)
					ev.Hash = name
					changed = append(changed, ev)
				}
				b.StartTimer()
				first, last := e.Publish(changed)
				e.Marker(name, first, last)
				e.Loaded(name, time.Minute)
			}
		})
	}
}
