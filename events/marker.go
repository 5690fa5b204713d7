package events

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Stage is the stage a run marker announces.
type Stage string

// The stages of a run, in the order they finish.
const (
	StageExtracted Stage = "extracted"
	StageLoaded    Stage = "loaded"
	StageLinked    Stage = "linked"
	StageFailed    Stage = "failed"
)

// Valid reports whether s is one of the known stages.
func (s Stage) Valid() bool {
	switch s {
	case StageExtracted, StageLoaded, StageLinked, StageFailed:
		return true
	}
	return false
}

// Mode is the kind of extractor run.
type Mode string

// The run modes.
const (
	ModeFull        Mode = "full"
	ModeIncremental Mode = "incremental"
)

// ParseMode reads a run mode, naming the accepted values when s is none.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeFull, ModeIncremental:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: want %q or %q", s, ModeFull, ModeIncremental)
}

// Marker announces that a stage finished (or failed) a run. One marker
// type serves every stage; the sections that do not apply stay empty.
type Marker struct {
	Source string `json:"source"`
	Run    string `json:"run"`
	Stage  Stage  `json:"stage"`
	Mode   Mode   `json:"mode,omitempty"`
	// Who names the process that published the marker (host and pid).
	Who string `json:"who,omitempty"`

	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Seconds    float64   `json:"seconds"`

	// FirstSeq and LastSeq bound the stream sequences of the run's record
	// events; both are zero when the run published none.
	FirstSeq uint64 `json:"first_seq,omitempty"`
	LastSeq  uint64 `json:"last_seq,omitempty"`

	// Modules holds the extractor's counts per module.
	Modules map[string]ModuleCounts `json:"modules,omitempty"`
	// Zoho is the extractor's use of the Zoho API.
	Zoho *APIUsage `json:"zoho,omitempty"`
	// Nodes holds the loader's counts.
	Nodes *NodeCounts `json:"nodes,omitempty"`
	// Links holds the relinker's counts.
	Links *LinkCounts `json:"links,omitempty"`
	// Error says why a failed run failed.
	Error string `json:"error,omitempty"`
}

// ModuleCounts is what the extractor saw of one module in one run.
type ModuleCounts struct {
	Fetched   int `json:"fetched"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	Deleted   int `json:"deleted"`
}

// APIUsage counts calls to the Zoho API.
type APIUsage struct {
	Calls   int `json:"calls"`
	Pages   int `json:"pages"`
	Retries int `json:"retries"`
	Credits int `json:"credits"`
	// FetchSeconds is the wall time spent fetching.
	FetchSeconds float64 `json:"fetch_seconds"`
}

// NodeCounts is what the loader did to graph nodes for a run.
type NodeCounts struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Deleted int `json:"deleted"`
	// Stale counts versions older than the one already in the graph.
	Stale int `json:"stale"`
	// DeadLetters counts messages sent to the dead-letter subject.
	DeadLetters int `json:"dead_letters"`
}

// LinkCounts is what the relinker did to relationships for a run.
type LinkCounts struct {
	Created   int `json:"created"`
	Unchanged int `json:"unchanged"`
	Removed   int `json:"removed"`
	// Parked counts relationships waiting for their end node, after the run.
	Parked int `json:"parked"`
	// Released counts parked relationships written during the run.
	Released int `json:"released"`
}

// Totals adds up the module counts.
func (m *Marker) Totals() ModuleCounts {
	var t ModuleCounts
	for _, c := range m.Modules {
		t.Fetched += c.Fetched
		t.Changed += c.Changed
		t.Unchanged += c.Unchanged
		t.Deleted += c.Deleted
	}
	return t
}

// MsgID is the marker's Nats-Msg-Id: publishing the same marker twice
// stores it once.
func (m *Marker) MsgID() string {
	return m.Source + ":" + m.Run + ":" + string(m.Stage)
}

// Msg builds the NATS message for the marker.
func (m *Marker) Msg() (*nats.Msg, error) {
	subject, err := MarkerSubject(m.Source, m.Run, m.Stage)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding %s marker of run %s: %w", m.Stage, m.Run, err)
	}
	msg := nats.NewMsg(subject)
	msg.Data = body
	msg.Header.Set(HeaderMsgID, m.MsgID())
	msg.Header.Set(HeaderRun, m.Run)
	msg.Header.Set(HeaderStage, string(m.Stage))
	msg.Header.Set(HeaderSchema, "1")
	return msg, nil
}

// DecodeMarker reads a marker from a message. The subject is the authority
// for source, run and stage; a body that disagrees is an error.
func DecodeMarker(subject string, h nats.Header, body []byte) (*Marker, error) {
	key, err := ParseMarkerSubject(subject)
	if err != nil {
		return nil, err
	}
	if err := checkSchema(h); err != nil {
		return nil, fmt.Errorf("marker %s: %w", subject, err)
	}
	var m Marker
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("decoding marker %s: %w", subject, err)
	}
	if m.Source != key.Source || m.Run != key.Run || m.Stage != key.Stage {
		return nil, fmt.Errorf("marker %s: body names %s/%s/%s: %w",
			subject, m.Source, m.Run, m.Stage, ErrNotMarkerSubject)
	}
	return &m, nil
}
