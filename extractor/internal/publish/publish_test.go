package publish_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/extractor/internal/publish"
)

func event(i int) events.RecordEvent {
	body := []byte(`{"id":"` + strconv.Itoa(i) + `"}`)
	return events.RecordEvent{
		Key: events.RecordKey{Source: "zoho", Module: "Contacts", ID: strconv.Itoa(i)},
		Op:  events.OpUpsert, Run: "r1", Hash: events.Hash(body), Body: body,
	}
}

// TestFullWindowIsBackPressure publishes far more events than the window
// holds, with a stall wait far shorter than an acknowledgement takes under
// load: every publish must still be stored, none lost to "stalled".
func TestFullWindowIsBackPressure(t *testing.T) {
	ns := natstest.Start(t)
	ns.Setup(t)
	p, err := publish.New(ns.Conn, publish.Options{Window: 8, StallWait: time.Microsecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	const n = 20000
	for i := range n {
		if err := p.Record(ctx, event(i)); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	res, err := p.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Published != n || res.LastSeq-res.FirstSeq+1 != n {
		t.Errorf("result %+v, want %d published in %d sequences", res, n, n)
	}
	s, err := ns.JS.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != n {
		t.Errorf("stream holds %d messages, want %d", info.State.Msgs, n)
	}
}

func TestRepublishedEventIsDeduplicated(t *testing.T) {
	ns := natstest.Start(t)
	ns.Setup(t)
	ctx := context.Background()
	for i := range 2 {
		p, err := publish.New(ns.Conn, publish.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Record(ctx, event(1)); err != nil {
			t.Fatal(err)
		}
		res, err := p.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
		// The second publish is dropped as a duplicate: no sequence is the
		// run's, and the stream keeps the first.
		if want := uint64(1 - i); res.FirstSeq != want || res.LastSeq != want {
			t.Errorf("publish %d: %+v, want sequences %d", i+1, res, want)
		}
	}
}

// TestChangeAndChangeBackIsStored publishes versions A, B and A of one
// record within the duplicate window: the second A has the Nats-Msg-Id of
// the first, so the server drops it, and the publisher must notice that
// the stream then holds B.
func TestChangeAndChangeBackIsStored(t *testing.T) {
	ns := natstest.Start(t)
	ns.Setup(t)
	ctx := context.Background()
	a, b := event(1), event(1)
	b.Body = []byte(`{"id":"1","x":2}`)
	b.Hash = events.Hash(b.Body)
	for i, ev := range []events.RecordEvent{a, b, a} {
		ev.Run = "r" + strconv.Itoa(i)
		p, err := publish.New(ns.Conn, publish.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Record(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		p.Close()
	}
	s, err := ns.JS.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(ctx, "crm.rec.zoho.Contacts.1")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get(events.HeaderHash); got != a.Hash {
		t.Errorf("stream holds hash %s, want A's %s", got, a.Hash)
	}
}
