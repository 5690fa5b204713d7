package zoho_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/extractor/zoho"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

// BenchmarkReadAllInstant reads every record of every module of a
// seed-scale instant simulator, merging field groups but publishing
// nothing: the client's share of a full run.
func BenchmarkReadAllInstant(b *testing.B) {
	s, err := zohosim.NewServer(zohosim.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		c, err := zoho.New(zoho.Config{ClientID: "sim", ClientSecret: "sim",
			RefreshToken: "sim-refresh", AccountsURL: s.URL, Edition: "enterprise"})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		var n atomic.Int64
		var wg sync.WaitGroup
		for _, m := range s.Sim.Modules() {
			wg.Go(func() {
				fields, err := c.Fields(context.Background(), m)
				if err != nil {
					b.Error(err)
					return
				}
				names := make([]string, len(fields))
				for i, f := range fields {
					names[i] = f.APIName
				}
				_, err = c.Records(context.Background(), zoho.RecordQuery{Module: m, Fields: names},
					func(p zoho.Page) error { n.Add(int64(len(p.Records))); return nil })
				if err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		took := time.Since(start)
		b.ReportMetric(float64(n.Load())/took.Seconds(), "records/s")
		fmt.Printf("read %d records in %.2fs (%d calls)\n", n.Load(), took.Seconds(),
			c.Usage().Calls)
	}
}
