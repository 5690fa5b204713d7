package events

import (
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
)

// Schema is a module's field metadata as the extractor read it from Zoho,
// published on crm.schema.<source>.<module>. The relinker finds custom
// lookups in it.
type Schema struct {
	Source string  `json:"source"`
	Module string  `json:"module"`
	Run    string  `json:"run"`
	Fields []Field `json:"fields"`
}

// Field is one field of a module.
type Field struct {
	APIName  string `json:"api_name"`
	DataType string `json:"data_type"`
	JSONType string `json:"json_type,omitempty"`
	// LookupModule is the module a lookup field points at, when Zoho says.
	LookupModule string `json:"lookup_module,omitempty"`
	// Custom reports whether the field was added by the organisation.
	Custom bool `json:"custom,omitempty"`
}

// Msg builds the NATS message for the schema.
func (s *Schema) Msg() (*nats.Msg, error) {
	subject, err := SchemaSubject(s.Source, s.Module)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding schema of %s: %w", s.Module, err)
	}
	fields, err := json.Marshal(s.Fields)
	if err != nil {
		return nil, fmt.Errorf("encoding schema of %s: %w", s.Module, err)
	}
	msg := nats.NewMsg(subject)
	msg.Data = body
	msg.Header.Set(HeaderRun, s.Run)
	msg.Header.Set(HeaderSchema, "1")
	// Fields unchanged since a recent run dedupe to the message already stored.
	msg.Header.Set(HeaderMsgID, s.Source+":schema:"+s.Module+":"+Hash(fields))
	return msg, nil
}

// DecodeSchema reads a schema message.
func DecodeSchema(h nats.Header, body []byte) (*Schema, error) {
	if err := checkSchema(h); err != nil {
		return nil, err
	}
	var s Schema
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, fmt.Errorf("decoding schema: %w", err)
	}
	if err := checkToken("module", s.Module); err != nil {
		return nil, err
	}
	return &s, nil
}
