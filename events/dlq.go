package events

import (
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
)

// Headers of a dead letter, beside the original message's own headers.
const (
	HeaderDLQReason  = "Crm-Dlq-Reason"
	HeaderDLQSubject = "Crm-Dlq-Subject"
	HeaderDLQSeq     = "Crm-Dlq-Seq"
	HeaderDLQStage   = "Crm-Dlq-Stage"
)

// DeadLetter is a message a stage could not process, kept with the reason
// on crm.dlq.<stage>.<seq> so that an operator can read and replay it.
type DeadLetter struct {
	Stage   string
	Seq     uint64
	Subject string
	Reason  string
	Header  nats.Header
	Data    []byte
}

// Msg builds the dead-letter message: the original body, the original
// headers except the server's Nats-* ones, and the dead-letter headers.
func (d DeadLetter) Msg() (*nats.Msg, error) {
	subject, err := DeadLetterSubject(d.Stage, d.Seq)
	if err != nil {
		return nil, err
	}
	m := nats.NewMsg(subject)
	m.Data = d.Data
	for k, vs := range d.Header {
		if strings.HasPrefix(k, "Nats-") {
			continue
		}
		for _, v := range vs {
			m.Header.Add(k, v)
		}
	}
	m.Header.Set(HeaderDLQStage, d.Stage)
	m.Header.Set(HeaderDLQReason, d.Reason)
	m.Header.Set(HeaderDLQSubject, d.Subject)
	m.Header.Set(HeaderDLQSeq, strconv.FormatUint(d.Seq, 10))
	m.Header.Set(HeaderMsgID, "dlq:"+d.Stage+":"+strconv.FormatUint(d.Seq, 10))
	return m, nil
}
