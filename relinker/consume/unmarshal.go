package consume

import (
	"strconv"
	"strings"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Metadata keys the Unmarshaler adds to every message.
const (
	// MetaSubject holds the message's subject.
	MetaSubject = "_relinker_subject"
	// MetaSeq holds the message's stream sequence.
	MetaSeq = "_relinker_seq"
)

// unmarshaler turns a JetStream message into a watermill message and
// keeps the JetStream message in flight for track.
type unmarshaler struct {
	inflight *inflight
}

// Unmarshal never fails: a header with several values keeps its first.
func (u *unmarshaler) Unmarshal(msg jetstream.Msg) (*message.Message, error) {
	var seq uint64
	if meta, err := msg.Metadata(); err == nil {
		seq = meta.Sequence.Stream
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
	u.inflight.put(id, msg)
	return m, nil
}

// header rebuilds the message's original NATS headers from its metadata.
func header(md message.Metadata) nats.Header {
	h := nats.Header{}
	for k, v := range md {
		if strings.HasPrefix(k, "_relinker_") || poisonKeys[k] {
			continue
		}
		h.Set(k, v)
	}
	return h
}

var poisonKeys = map[string]bool{
	middleware.ReasonForPoisonedKey:  true,
	middleware.PoisonedTopicKey:      true,
	middleware.PoisonedHandlerKey:    true,
	middleware.PoisonedSubscriberKey: true,
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
