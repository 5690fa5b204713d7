package events

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// StreamName is the one JetStream stream that holds every record event,
// run marker, schema and dead letter.
const StreamName = "CRM"

// StreamOptions are the settings of the CRM stream a deployment may choose.
type StreamOptions struct {
	// Replicas is the number of stream replicas: 1 for one server, 3 for a
	// three-server cluster. Zero means 1 for a new stream and, for an
	// existing one, whatever it has: a stage that was not told the replica
	// count never shrinks a replicated stream.
	Replicas int
	// Duplicates is the window in which the server drops a publish whose
	// Nats-Msg-Id it has seen. It is kept in server memory, so it is short.
	// Zero means DefaultDuplicates.
	Duplicates time.Duration
}

// DefaultDuplicates is the default duplicate window: long enough to cover
// publish retries of one run, short enough to keep server memory small.
const DefaultDuplicates = 2 * time.Minute

func (o *StreamOptions) setDefaults() {
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.Duplicates == 0 {
		o.Duplicates = DefaultDuplicates
	}
}

// StreamConfig returns the configuration of the CRM stream: limits
// retention so that new sinks can read from the beginning, file storage,
// and one message per subject, which makes the stream a compacted log of
// the latest version of every record.
func StreamConfig(o StreamOptions) jetstream.StreamConfig {
	o.setDefaults()
	return jetstream.StreamConfig{
		Name:              StreamName,
		Description:       "crmgraph: CRM record events, run markers, schemas, dead letters",
		Subjects:          []string{AllSubjects},
		Retention:         jetstream.LimitsPolicy,
		Storage:           jetstream.FileStorage,
		MaxMsgsPerSubject: 1,
		Discard:           jetstream.DiscardOld,
		Duplicates:        o.Duplicates,
		Replicas:          o.Replicas,
		AllowDirect:       true,
	}
}

// EnsureStream creates the CRM stream, or converges an existing one to
// StreamConfig without deleting it: settings it does not manage (limits an
// operator added, for example) are kept. Storage and retention cannot be
// changed in place; a stream that differs there is refused with
// ErrStreamConflict rather than recreated, because recreating it would
// lose every event.
func EnsureStream(ctx context.Context, js jetstream.JetStream, o StreamOptions) (jetstream.Stream, error) {
	want := StreamConfig(o)
	s, err := js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, want)
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return nil, fmt.Errorf("creating stream %s: %w", StreamName, err)
		}
		if err == nil {
			return s, nil
		}
		s, err = js.Stream(ctx, StreamName) // another process created it first
	}
	if err != nil {
		return nil, fmt.Errorf("reading stream %s: %w", StreamName, err)
	}

	have := s.CachedInfo().Config
	if have.Storage != want.Storage || have.Retention != want.Retention {
		return nil, fmt.Errorf("stream %s has %s storage and %s retention, want %s and %s: %w",
			StreamName, have.Storage, have.Retention, want.Storage, want.Retention,
			ErrStreamConflict)
	}
	if o.Replicas == 0 {
		want.Replicas = have.Replicas
	}
	merged, changed := converge(have, want)
	if !changed {
		return s, nil
	}
	s, err = js.UpdateStream(ctx, merged)
	if err != nil {
		return nil, fmt.Errorf("updating stream %s: %w", StreamName, err)
	}
	return s, nil
}

// converge returns have with the settings this package manages set as in
// want, and reports whether anything changed.
func converge(have, want jetstream.StreamConfig) (jetstream.StreamConfig, bool) {
	merged := have
	merged.Subjects = want.Subjects
	merged.MaxMsgsPerSubject = want.MaxMsgsPerSubject
	merged.Discard = want.Discard
	merged.Duplicates = want.Duplicates
	merged.Replicas = want.Replicas
	merged.AllowDirect = want.AllowDirect
	if merged.Description == "" {
		merged.Description = want.Description
	}
	changed := !slices.Equal(have.Subjects, merged.Subjects) ||
		have.MaxMsgsPerSubject != merged.MaxMsgsPerSubject ||
		have.Discard != merged.Discard ||
		have.Duplicates != merged.Duplicates ||
		have.Replicas != merged.Replicas ||
		have.AllowDirect != merged.AllowDirect ||
		have.Description != merged.Description
	return merged, changed
}
