package events

import (
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// Header names of record events. They are final once published; new ones
// may be added.
const (
	HeaderMsgID    = "Nats-Msg-Id"
	HeaderOp       = "Crm-Op"
	HeaderRun      = "Crm-Run"
	HeaderModified = "Crm-Modified"
	HeaderHash     = "Crm-Hash"
	HeaderSchema   = "Crm-Schema"
	HeaderStage    = "Crm-Stage"
)

// SchemaVersion is the event format this build writes and reads.
const SchemaVersion = 1

// Op says what a record event does to its record.
type Op string

// The record operations.
const (
	OpUpsert Op = "upsert"
	OpDelete Op = "delete"
)

// RecordEvent is one version of one CRM record on the stream: an upsert
// carrying the record exactly as Zoho returned it, or a delete (tombstone).
type RecordEvent struct {
	Key RecordKey
	Op  Op
	// Run is the id of the run that published this version.
	Run string
	// Modified is Zoho's Modified_Time in UTC (for a delete, the time of
	// deletion); zero for modules that have no Modified_Time.
	Modified time.Time
	// Hash is the canonical hash of Body (see CanonicalHash).
	Hash string
	// Body is the record as a JSON object. A delete carries a small object
	// with the id and, when known, the deletion time.
	Body []byte
}

// MsgID returns the Nats-Msg-Id of the event: <source>:<module>:<id>:<hash>,
// so that a retried publish of the same version is dropped by the server.
func (e RecordEvent) MsgID() string {
	return e.Key.Source + ":" + e.Key.Module + ":" + e.Key.ID + ":" + e.Hash
}

// Msg builds the NATS message for the event.
func (e RecordEvent) Msg() (*nats.Msg, error) {
	subject, err := e.Key.Subject()
	if err != nil {
		return nil, err
	}
	if e.Op != OpUpsert && e.Op != OpDelete {
		return nil, fmt.Errorf("record %s: op %q: %w", e.Key, e.Op, ErrUnknownOp)
	}
	if e.Hash == "" {
		return nil, fmt.Errorf("record %s: %s: %w", e.Key, HeaderHash, ErrMissingHeader)
	}
	m := nats.NewMsg(subject)
	m.Data = e.Body
	m.Header.Set(HeaderMsgID, e.MsgID())
	m.Header.Set(HeaderOp, string(e.Op))
	m.Header.Set(HeaderRun, e.Run)
	if !e.Modified.IsZero() {
		m.Header.Set(HeaderModified, e.Modified.UTC().Format(time.RFC3339))
	}
	m.Header.Set(HeaderHash, e.Hash)
	m.Header.Set(HeaderSchema, strconv.Itoa(SchemaVersion))
	return m, nil
}

// DecodeRecord reads a record event from a message's subject, headers and
// body. The body is not parsed; it is returned as it was stored.
func DecodeRecord(subject string, h nats.Header, body []byte) (RecordEvent, error) {
	key, err := ParseRecordSubject(subject)
	if err != nil {
		return RecordEvent{}, err
	}
	e := RecordEvent{Key: key, Body: body}
	if err := checkSchema(h); err != nil {
		return RecordEvent{}, fmt.Errorf("record %s: %w", key, err)
	}
	e.Op = Op(h.Get(HeaderOp))
	if e.Op != OpUpsert && e.Op != OpDelete {
		return RecordEvent{}, fmt.Errorf("record %s: op %q: %w", key, e.Op, ErrUnknownOp)
	}
	e.Run = h.Get(HeaderRun)
	e.Hash = h.Get(HeaderHash)
	if m := h.Get(HeaderModified); m != "" {
		e.Modified, err = time.Parse(time.RFC3339, m)
		if err != nil {
			return RecordEvent{}, fmt.Errorf("record %s: %s %q: %w", key, HeaderModified, m, err)
		}
	}
	return e, nil
}

// checkSchema accepts a missing Crm-Schema (read as version 1) and refuses
// a version newer than this build.
func checkSchema(h nats.Header) error {
	v := h.Get(HeaderSchema)
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > SchemaVersion {
		return fmt.Errorf("%s %q: %w", HeaderSchema, v, ErrUnsupportedSchema)
	}
	return nil
}
