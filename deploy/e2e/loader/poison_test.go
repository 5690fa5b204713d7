package loader

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/deploy/e2e/loader/seedtest"
	"github.com/crmgraph/crmgraph/events"
)

// poison is a message that can never be loaded and the reason the loader
// must give for it.
type poison struct {
	msg    *nats.Msg
	reason string
}

// poisons builds one message of each kind the loader must refuse.
func poisons(t *testing.T) []poison {
	t.Helper()
	rec := func(module, id, body string) *nats.Msg {
		ev := events.RecordEvent{Key: events.RecordKey{Source: seedtest.Source, Module: module,
			ID: id}, Op: events.OpUpsert, Run: "seed", Hash: "h" + id, Body: []byte(body)}
		m, err := ev.Msg()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	raw := func(subject, body string) *nats.Msg {
		m := nats.NewMsg(subject)
		m.Data = []byte(body)
		m.Header.Set(events.HeaderOp, "upsert")
		m.Header.Set(events.HeaderRun, "seed")
		return m
	}
	newer := rec("Contacts", "9000000000000000003", `{"id":"9000000000000000003"}`)
	newer.Header.Set(events.HeaderSchema, "99")
	badOp := rec("Contacts", "9000000000000000004", `{"id":"9000000000000000004"}`)
	badOp.Header.Set(events.HeaderOp, "merge")
	return []poison{
		{rec("Contacts", "9000000000000000001", `{"id":"9000000000000000001","Last_Name":`),
			"not a well-formed JSON object"},
		{rec("Contacts", "9000000000000000002", `{"id":"1234"}`), "differs from the subject"},
		{newer, "unsupported event schema version"},
		{badOp, "unknown record operation"},
		{rec("Deals", "9000000000000000005", `{"id":"9000000000000000005","_seq":1}`),
			"field name cannot be a property key"},
		{rec("Deals", "9000000000000000006", `["not","an","object"]`), "not a well-formed JSON"},
		{rec("my-module", "9000000000000000007", `{"id":"9000000000000000007"}`),
			"not a safe graph name"},
		// Subjects that no publisher built with events can make, published raw.
		{raw("crm.rec.zoho.Con`tacts.9000000000000000008", `{"id":"9000000000000000008"}`),
			"not a safe subject token"},
		{raw("crm.rec.zoho.X})-[:R]->(y.9000000000000000009", `{"id":"9000000000000000009"}`),
			"not a safe subject token"},
	}
}

// deadLetters reads n of the loader's dead letters, by original subject.
func deadLetters(t *testing.T, e *seedtest.Env, n int) map[string]jetstream.Msg {
	t.Helper()
	c, err := e.JS.OrderedConsumer(context.Background(), events.StreamName,
		jetstream.OrderedConsumerConfig{FilterSubjects: []string{"crm.dlq.loader.*"}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]jetstream.Msg{}
	for range n {
		msg, err := c.Next(jetstream.FetchMaxWait(10 * time.Second))
		if err != nil {
			t.Fatalf("reading dead letter %d of %d: %v", len(out)+1, n, err)
		}
		if msg.Headers().Get(events.HeaderDLQStage) != "loader" {
			t.Errorf("dead letter %s without its stage", msg.Subject())
		}
		out[msg.Headers().Get(events.HeaderDLQSubject)] = msg
	}
	return out
}

// checkDeadLetters reads the loader's dead letters and checks that each
// poison is there with its reason and its original body.
func checkDeadLetters(t *testing.T, e *seedtest.Env, ps []poison) {
	t.Helper()
	letters := deadLetters(t, e, len(ps))
	for _, p := range ps {
		dl, ok := letters[p.msg.Subject]
		if !ok {
			t.Errorf("no dead letter for %s", p.msg.Subject)
			continue
		}
		if reason := dl.Headers().Get(events.HeaderDLQReason); !strings.Contains(reason, p.reason) {
			t.Errorf("dead letter of %s: reason %q, want it to mention %q",
				p.msg.Subject, reason, p.reason)
		}
		if string(dl.Data()) != string(p.msg.Data) {
			t.Errorf("dead letter of %s lost the original body", p.msg.Subject)
		}
	}
}
