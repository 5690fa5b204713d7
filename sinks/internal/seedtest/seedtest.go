// Package seedtest feeds the sinks' tests: it publishes the Zoho
// simulator's organisation (seed scale: 58,741 records) as record events
// on a real JetStream server, then updates and tombstones, keeping a log
// of every event published; and it checks an archive directory against
// that log.
package seedtest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

// Source is the source name of the published events.
const Source = "zoho"

// Published is one published record event.
type Published struct {
	Subject string
	Module  string
	Hash    string
	Op      events.Op
}

// Log is what a test published: enough to tell what a sink must hold.
type Log struct {
	// Events holds every published event by stream sequence.
	Events map[uint64]Published
	// Latest holds, per subject, the sequence of its latest event: what
	// the stream keeps (one message per subject).
	Latest map[string]uint64
	// Last is the highest sequence published.
	Last uint64
}

// NewLog returns an empty log.
func NewLog() *Log {
	return &Log{Events: map[uint64]Published{}, Latest: map[string]uint64{}}
}

// NewSim returns the simulator at seed scale.
func NewSim(t testing.TB) *zohosim.Sim {
	t.Helper()
	sim, err := zohosim.New(zohosim.Config{})
	if err != nil {
		t.Fatalf("creating simulator: %v", err)
	}
	return sim
}

// Modules returns every module with records, Users included.
func Modules(sim *zohosim.Sim) []string {
	return append([]string{"Users"}, sim.Modules()...)
}

// publisher publishes events asynchronously and logs their sequences.
type publisher struct {
	t       testing.TB
	js      jetstream.JetStream
	log     *Log
	pending []pending
}

type pending struct {
	f   jetstream.PubAckFuture
	pub Published
}

func (p *publisher) publish(e events.RecordEvent) {
	p.t.Helper()
	m, err := e.Msg()
	if err != nil {
		p.t.Fatalf("building event %s: %v", e.Key, err)
	}
	f, err := p.js.PublishMsgAsync(m, jetstream.WithStallWait(30*time.Second))
	if err != nil {
		p.t.Fatalf("publishing %s: %v", m.Subject, err)
	}
	p.pending = append(p.pending, pending{f: f, pub: Published{Subject: m.Subject,
		Module: e.Key.Module, Hash: e.Hash, Op: e.Op}})
	if len(p.pending) >= 4000 {
		p.wait()
	}
}

// wait waits for every publish in flight and logs it.
func (p *publisher) wait() {
	p.t.Helper()
	for _, pd := range p.pending {
		select {
		case ack := <-pd.f.Ok():
			p.log.Events[ack.Sequence] = pd.pub
			p.log.Latest[pd.pub.Subject] = ack.Sequence
			p.log.Last = max(p.log.Last, ack.Sequence)
		case err := <-pd.f.Err():
			p.t.Fatalf("publishing %s: %v", pd.pub.Subject, err)
		case <-time.After(time.Minute):
			p.t.Fatalf("publishing %s: no ack after a minute", pd.pub.Subject)
		}
	}
	p.pending = p.pending[:0]
}

// PublishAll publishes every record of the given modules (default: every
// module, Users included) as upserts of one run, and returns how many.
func PublishAll(t testing.TB, js jetstream.JetStream, sim *zohosim.Sim, log *Log,
	modules ...string) int {
	t.Helper()
	p := &publisher{t: t, js: js, log: log}
	run := events.NewRunID(time.Now())
	n := 0
	if len(modules) == 0 {
		modules = Modules(sim)
	}
	for _, module := range modules {
		err := sim.EachRecordJSON(module, func(id string, body []byte) error {
			p.publish(upsert(t, module, id, run, body))
			n++
			return nil
		})
		if err != nil {
			t.Fatalf("reading records of %s: %v", module, err)
		}
	}
	p.wait()
	return n
}

// PublishChanges mutates the simulator as spec says and publishes what an
// incremental run would: upserts of the modified records and tombstones
// of the deleted ones. It returns how many events.
func PublishChanges(t testing.TB, js jetstream.JetStream, sim *zohosim.Sim,
	spec zohosim.MutateSpec, log *Log) int {
	t.Helper()
	ch, err := sim.Mutate(spec)
	if err != nil {
		t.Fatalf("mutating simulator: %v", err)
	}
	p := &publisher{t: t, js: js, log: log}
	run := events.NewRunID(time.Now())
	n := 0
	for _, module := range sim.Modules() {
		for _, id := range ch.Modified(module) {
			rec, err := sim.Record(module, id)
			if err != nil {
				t.Fatalf("reading %s %s: %v", module, id, err)
			}
			body, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			p.publish(upsert(t, module, id, run, body))
			n++
		}
		for _, id := range ch.Deleted[module] {
			p.publish(tombstone(t, module, id, run, ch.At))
			n++
		}
	}
	p.wait()
	return n
}

// upsert builds an upsert event. Its hash is events.Hash of the body as
// it is, not of its canonical form as the extractor's: sinks do not read
// it, and the byte-exact hash lets a check prove the archived record is
// the published one byte for byte, at a tenth of the cost.
func upsert(t testing.TB, module, id, run string, body []byte) events.RecordEvent {
	t.Helper()
	var meta struct {
		Modified time.Time `json:"Modified_Time"`
	}
	_ = json.Unmarshal(body, &meta) // Users have no Modified_Time
	return events.RecordEvent{
		Key:      events.RecordKey{Source: Source, Module: module, ID: id},
		Op:       events.OpUpsert,
		Run:      run,
		Modified: meta.Modified,
		Hash:     events.Hash(body),
		Body:     append([]byte(nil), body...),
	}
}

func tombstone(t testing.TB, module, id, run string, at time.Time) events.RecordEvent {
	t.Helper()
	body := fmt.Appendf(nil, `{"id":%q,"deleted_time":%q}`, id, at.UTC().Format(time.RFC3339))
	return events.RecordEvent{
		Key:      events.RecordKey{Source: Source, Module: module, ID: id},
		Op:       events.OpDelete,
		Run:      run,
		Modified: at,
		Hash:     events.Hash(body),
		Body:     body,
	}
}

// WaitAckFloor waits until the durable consumer name has acknowledged
// everything up to seq.
func WaitAckFloor(t testing.TB, js jetstream.JetStream, name string, seq uint64,
	within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		c, err := js.Consumer(context.Background(), events.StreamName, name)
		if err == nil {
			info, err := c.Info(context.Background())
			if err == nil && info.AckFloor.Stream >= seq {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer %s did not acknowledge seq %d within %s", name, seq, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
