package run

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/extractor/zoho"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

// TestProbeReadsEveryModifiedTime probes Contacts at scale 7 (112,000
// records, past COQL's reach of 100,000), where an update gave the last
// 15% one Modified_Time, so that the 100,000th record is inside a second
// the next query starts from, and compares the times with the simulator's.
func TestProbeReadsEveryModifiedTime(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv, err := zohosim.NewServer(zohosim.Config{Scale: 7,
		Now: func() time.Time { return at }})
	if err != nil {
		t.Fatalf("starting the simulator: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	_, err = srv.Sim.Mutate(zohosim.MutateSpec{Update: 0.15, Modules: []string{"Contacts"}})
	if err != nil {
		t.Fatalf("updating Contacts: %v", err)
	}
	c, err := zoho.New(zoho.Config{ClientID: "sim", ClientSecret: "sim",
		RefreshToken: "sim-refresh", AccountsURL: srv.URL, Edition: "enterprise"})
	if err != nil {
		t.Fatalf("creating the client: %v", err)
	}
	var want []int64
	err = srv.Sim.EachRecord("Contacts", func(rec map[string]any) error {
		ts, err := zoho.ParseTime(rec["Modified_Time"].(string))
		want = append(want, ts.Unix())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	if len(want) <= zoho.MaxQueryReach {
		t.Fatalf("Contacts holds %d records, want more than COQL reaches", len(want))
	}

	x := &Run{r: &Runner{zoho: c}, log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := x.probeTimes(ctx, "Contacts")
	if err != nil {
		t.Fatalf("probing Contacts: %v", err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("probe read %d times, the simulator holds %d", len(got), len(want))
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("first difference at record %d: %d, want %d", i, got[i], want[i])
			}
		}
	}
	last := want[zoho.MaxQueryReach-1]
	if want[zoho.MaxQueryReach] != last {
		t.Errorf("the 100,000th time %s is not shared with the next record: "+
			"the test data lost its tie", time.Unix(last, 0).UTC())
	}
}
