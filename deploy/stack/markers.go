package stack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// ErrRunFailed means a run published a failed marker while we waited.
var ErrRunFailed = errors.New("run failed")

// WaitMarker waits until the run's marker of the given stage is on the
// stream and returns it. A failed marker for the run ends the wait with
// ErrRunFailed carrying its reason.
func WaitMarker(ctx context.Context, js jetstream.JetStream, source, run string,
	stage events.Stage) (*events.Marker, error) {
	s, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return nil, fmt.Errorf("opening stream %s: %w", events.StreamName, err)
	}
	want, err := events.MarkerSubject(source, run, stage)
	if err != nil {
		return nil, err
	}
	failed, _ := events.MarkerSubject(source, run, events.StageFailed)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if m, err := lastMarker(ctx, s, want); err != nil || m != nil {
			return m, err
		}
		if m, err := lastMarker(ctx, s, failed); err != nil {
			return nil, err
		} else if m != nil {
			return nil, fmt.Errorf("run %s: %w: %s", run, ErrRunFailed, m.Error)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the %s marker of run %s: %w", stage, run, ctx.Err())
		case <-tick.C:
		}
	}
}

// LatestMarker returns the newest marker of a stage for a source, or nil
// when there is none.
func LatestMarker(ctx context.Context, js jetstream.JetStream, source string,
	stage events.Stage) (*events.Marker, error) {
	s, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return nil, fmt.Errorf("opening stream %s: %w", events.StreamName, err)
	}
	return lastMarker(ctx, s, "crm.run."+source+".*."+string(stage))
}

func lastMarker(ctx context.Context, s jetstream.Stream, subject string) (*events.Marker, error) {
	raw, err := s.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", subject, err)
	}
	return events.DecodeMarker(raw.Subject, raw.Header, raw.Data)
}
