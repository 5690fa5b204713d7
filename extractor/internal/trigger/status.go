package trigger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Status is what is known of a run: its markers on the stream, or that it
// is in progress.
type Status struct {
	Source string `json:"source"`
	Run    string `json:"run"`
	// State is running, or the latest stage reached: extracted, loaded,
	// linked; or failed.
	State string      `json:"state"`
	Mode  events.Mode `json:"mode,omitempty"`
	// StartedAt is when the run started.
	StartedAt time.Time `json:"started_at,omitzero"`
	// Counts adds up the extractor's module counts.
	Counts *events.ModuleCounts `json:"counts,omitempty"`
	// Error says why the run failed.
	Error string `json:"error,omitempty"`
	// Markers holds each stage's marker found on the stream.
	Markers map[events.Stage]*events.Marker `json:"markers,omitempty"`
}

// stages in the order a run reaches them; failed wins over all.
var stages = []events.Stage{events.StageExtracted, events.StageLoaded, events.StageLinked,
	events.StageFailed}

// Status reads a run's markers from the stream.
func (s *Service) Status(ctx context.Context, runID string) (*Status, error) {
	source := s.runner.Source()
	st := &Status{Source: source, Run: runID, Markers: map[events.Stage]*events.Marker{}}
	stream, err := s.js.Stream(ctx, events.StreamName)
	if err != nil {
		return nil, fmt.Errorf("reading stream %s: %w", events.StreamName, err)
	}
	for _, stage := range stages {
		mk, err := readMarker(ctx, stream, source, runID, stage)
		if err != nil {
			return nil, err
		}
		if mk == nil {
			continue
		}
		st.Markers[stage] = mk
		st.State, st.Mode, st.StartedAt = string(stage), mk.Mode, mk.StartedAt
		if stage == events.StageExtracted || stage == events.StageFailed {
			t := mk.Totals()
			st.Counts = &t
		}
		if stage == events.StageFailed {
			st.Error = mk.Error
		}
	}
	if len(st.Markers) > 0 {
		return st, nil
	}
	if s.running(ctx, runID, st) {
		return st, nil
	}
	return nil, fmt.Errorf("run %s of %s: %w", runID, source, ErrUnknownRun)
}

// running fills st when runID is in progress, here or (by the lease) in
// another process.
func (s *Service) running(ctx context.Context, runID string, st *Status) bool {
	if x := s.Current(); x != nil && x.ID == runID {
		st.State, st.Mode, st.StartedAt = "running", x.Mode, x.Started
		return true
	}
	h, err := s.runner.Holder(ctx)
	if err == nil && h != nil && h.Run == runID {
		st.State, st.Mode, st.StartedAt = "running", h.Mode, h.Started
		return true
	}
	return false
}

func readMarker(ctx context.Context, stream jetstream.Stream, source, runID string,
	stage events.Stage) (*events.Marker, error) {
	subject, err := events.MarkerSubject(source, runID, stage)
	if err != nil {
		return nil, err
	}
	m, err := stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading marker %s: %w", subject, err)
	}
	return events.DecodeMarker(m.Subject, m.Header, m.Data)
}
