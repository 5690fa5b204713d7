package sink

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Metadata keys the Subscriber adds to every watermill message, beside
// the message's own headers.
const (
	// MetaSubject holds the message's subject.
	MetaSubject = "_sink_subject"
	// MetaSeq holds the message's stream sequence.
	MetaSeq = "_sink_seq"
	// MetaStored holds when the stream stored the message (RFC 3339).
	MetaStored = "_sink_stored"
	// MetaDelivered holds how many times the message was delivered.
	MetaDelivered = "_sink_delivered"
)

// unmarshaler turns a JetStream message into a watermill message and
// keeps the JetStream message in flight for the tracking middleware.
//
// It never fails: watermill-nats v2.1.3 goes on with a nil message when
// an unmarshaler fails, and its default one fails on any header with
// several values. A header keeps its first value here, as
// nats.Header.Get would read it; a message that is not a record event is
// found by the handler, which sends it to the dead letters.
type unmarshaler struct {
	inflight *inflight
}

// Unmarshal converts msg; its UUID is the stream sequence.
func (u *unmarshaler) Unmarshal(msg jetstream.Msg) (*message.Message, error) {
	var seq, delivered uint64
	var stored time.Time
	if meta, err := msg.Metadata(); err == nil {
		seq, delivered, stored = meta.Sequence.Stream, meta.NumDelivered, meta.Timestamp
	}
	id := strconv.FormatUint(seq, 10)
	m := message.NewMessage(id, msg.Data())
	for k, vs := range msg.Headers() {
		if len(vs) > 0 {
			m.Metadata.Set(k, vs[0])
		}
	}
	m.Metadata.Set(MetaSubject, msg.Subject())
	m.Metadata.Set(MetaSeq, id)
	m.Metadata.Set(MetaStored, stored.UTC().Format(time.RFC3339Nano))
	m.Metadata.Set(MetaDelivered, strconv.FormatUint(delivered, 10))
	u.inflight.put(id, msg)
	return m, nil
}

// header rebuilds a message's NATS headers from its watermill metadata.
func header(md message.Metadata) nats.Header {
	h := nats.Header{}
	for k, v := range md {
		if strings.HasPrefix(k, "_sink_") || poisonKeys[k] {
			continue
		}
		h.Set(k, v)
	}
	return h
}

// poisonKeys are the metadata keys the PoisonQueue middleware adds.
var poisonKeys = map[string]bool{
	middleware.ReasonForPoisonedKey:  true,
	middleware.PoisonedTopicKey:      true,
	middleware.PoisonedHandlerKey:    true,
	middleware.PoisonedSubscriberKey: true,
}

// seqOf returns the stream sequence a watermill message carries.
func seqOf(m *message.Message) uint64 {
	seq, _ := strconv.ParseUint(m.Metadata.Get(MetaSeq), 10, 64)
	return seq
}

// inflight holds the JetStream messages being handled, by sequence.
type inflight struct {
	mu   sync.Mutex
	msgs map[string]jetstream.Msg // guarded by mu
}

func newInflight() *inflight { return &inflight{msgs: make(map[string]jetstream.Msg)} }

func (f *inflight) put(id string, m jetstream.Msg) {
	f.mu.Lock()
	f.msgs[id] = m
	f.mu.Unlock()
}

// take removes and returns the message of id, or nil.
func (f *inflight) take(id string) jetstream.Msg {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.msgs[id]
	delete(f.msgs, id)
	return m
}
