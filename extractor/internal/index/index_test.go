package index_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/extractor/internal/index"
)

// fill publishes n upserts of module m, every tenth a tombstone, and
// returns the stream's JetStream context.
func fill(t testing.TB, n int) jetstream.JetStream {
	t.Helper()
	ns := natstest.Start(t)
	ns.Setup(t)
	ctx := context.Background()
	mod := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		body := []byte(`{"id":"` + strconv.Itoa(i) + `"}`)
		ev := events.RecordEvent{
			Key: events.RecordKey{Source: "zoho", Module: "Contacts", ID: strconv.Itoa(i)},
			Op:  events.OpUpsert, Run: "r1", Modified: mod.Add(time.Duration(i) * time.Second),
			Hash: events.Hash(body), Body: body,
		}
		if i%10 == 0 {
			ev.Op = events.OpDelete
		}
		m, err := ev.Msg()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ns.JS.PublishMsgAsync(m); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-ns.JS.PublishAsyncComplete():
	case <-time.After(time.Minute):
		t.Fatal("publishing timed out")
	}
	_ = ctx
	return ns.JS
}

func TestLoadReadsTheLatestEventOfEveryRecord(t *testing.T) {
	js := fill(t, 1000)
	snap, err := index.Load(context.Background(), js, "zoho")
	if err != nil {
		t.Fatal(err)
	}
	if snap.Len() != 1000 || snap.LiveCount("Contacts") != 900 {
		t.Fatalf("%d records, %d live; want 1000 and 900", snap.Len(), snap.LiveCount("Contacts"))
	}
	e, ok, _ := snap.Get(context.Background(), "Contacts", "7")
	want := events.Hash([]byte(`{"id":"7"}`))
	if h, _ := index.ParseHash(want); !ok || e.Deleted || e.Hash != h {
		t.Errorf("entry of 7: %+v %v", e, ok)
	}
	if e, _, _ := snap.Get(context.Background(), "Contacts", "10"); !e.Deleted {
		t.Errorf("entry of 10 is not a tombstone: %+v", e)
	}
	cuts := snap.Quantiles("Contacts", 4)
	if len(cuts) != 3 || !cuts[0].Before(cuts[1]) || !cuts[1].Before(cuts[2]) {
		t.Errorf("quantiles %v", cuts)
	}
	d, err := index.NewDirect(context.Background(), js, "zoho")
	if err != nil {
		t.Fatal(err)
	}
	de, ok, err := d.Get(context.Background(), "Contacts", "7")
	if err != nil || !ok || de != e2(snap, "7") {
		t.Errorf("direct entry of 7: %+v %v %v", de, ok, err)
	}
	if _, ok, err := d.Get(context.Background(), "Contacts", "999999"); ok || err != nil {
		t.Errorf("direct entry of an unknown record: %v %v", ok, err)
	}
}

func e2(s *index.Snapshot, id string) index.Entry {
	e, _, _ := s.Get(context.Background(), "Contacts", id)
	return e
}

func BenchmarkLoad(b *testing.B) {
	const n = 58741
	js := fill(b, n)
	for b.Loop() {
		start := time.Now()
		snap, err := index.Load(context.Background(), js, "zoho")
		if err != nil || snap.Len() != n {
			b.Fatalf("%v, %d records", err, snap.Len())
		}
		fmt.Printf("index of %d records loaded in %.3fs\n", n, time.Since(start).Seconds())
	}
}
