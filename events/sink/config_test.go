package sink_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/sink"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  sink.Config
		ok   bool
	}{
		{"defaults", sink.Config{Name: "archive"}, true},
		{"module filter", sink.Config{Name: "a", Filters: []string{"crm.rec.zoho.Deals.*"}}, true},
		{"empty name", sink.Config{}, false},
		{"dotted name", sink.Config{Name: "a.b"}, false},
		{"marker filter", sink.Config{Name: "a", Filters: []string{"crm.run.>"}}, false},
		{"short ack wait", sink.Config{Name: "a", AckWait: time.Millisecond}, false},
		{"negative max ack pending", sink.Config{Name: "a", MaxAckPending: -1}, false},
		{"huge max ack pending", sink.Config{Name: "a", MaxAckPending: 1 << 20}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.ok && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !tc.ok && !errors.Is(err, sink.ErrBadConfig) {
				t.Fatalf("Validate = %v, want ErrBadConfig", err)
			}
		})
	}
}

func TestConsumerConfigDefaults(t *testing.T) {
	cc, err := sink.Config{Name: "archive"}.ConsumerConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cc.Durable != "archive" || cc.DeliverPolicy != jetstream.DeliverAllPolicy ||
		cc.AckPolicy != jetstream.AckExplicitPolicy || cc.MaxDeliver != -1 {
		t.Errorf("consumer %+v: want durable archive, deliver all, explicit acks, no limit", cc)
	}
	if cc.AckWait != sink.DefaultAckWait || cc.MaxAckPending != 1 {
		t.Errorf("ack wait %s, max ack pending %d: want %s and 1",
			cc.AckWait, cc.MaxAckPending, sink.DefaultAckWait)
	}
	if len(cc.FilterSubjects) != 1 || cc.FilterSubjects[0] != events.AllRecords {
		t.Errorf("filters %v, want [%s]", cc.FilterSubjects, events.AllRecords)
	}
}
