package index

import (
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/crmgraph/crmgraph/events"
)

func TestMalformedHeadersDoNotStopARun(t *testing.T) {
	good := events.Hash([]byte(`{"id":"1"}`))
	tests := []struct {
		name      string
		hash      string
		modified  string
		malformed bool
	}{
		{"well formed", good, "2026-12-03T16:34:06Z", false},
		{"short hash", "abc", "2026-12-03T16:34:06Z", true},
		{"not hex", "zz" + good[2:], "", true},
		{"bad modified", good, "yesterday", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := nats.Header{}
			h.Set(events.HeaderOp, string(events.OpUpsert))
			h.Set(events.HeaderHash, tt.hash)
			if tt.modified != "" {
				h.Set(events.HeaderModified, tt.modified)
			}
			e := entryOf(h)
			if e.Malformed != tt.malformed {
				t.Fatalf("Malformed = %v, want %v", e.Malformed, tt.malformed)
			}
			want, _ := ParseHash(good)
			if (e.Hash == want) == tt.malformed && tt.name != "bad modified" {
				t.Fatalf("hash %x: a malformed event must match no record's hash", e.Hash)
			}
		})
	}
}
