// Package trigger starts extractor runs on request: from a built-in cron
// schedule and from the HTTP API (POST /api/v1/crm-sync, GET
// /api/v1/crm-sync/{run}, GET /api/v1/health). It runs one run at a time;
// the run lease refuses a run while another process runs one for the same
// source.
package trigger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/lease"
	"github.com/crmgraph/crmgraph/extractor/internal/run"
)

// Errors returned by this package.
var (
	// ErrBusy means a run of the source is in progress, here or in another
	// process.
	ErrBusy = errors.New("a run is in progress")
	// ErrUnknownRun means no marker and no run in progress has that id.
	ErrUnknownRun = errors.New("unknown run")
	// ErrClosed means the service is shutting down.
	ErrClosed = errors.New("trigger service closed")
)

// Service starts runs in the background and answers their status.
type Service struct {
	runner *run.Runner
	js     jetstream.JetStream
	log    *slog.Logger
	ctx    context.Context // runs inherit it; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex // guards current and closed
	current *run.Run
	closed  bool
}

// New returns a service whose runs last at most as long as ctx.
func New(ctx context.Context, runner *run.Runner, js jetstream.JetStream,
	log *slog.Logger) *Service {
	ctx, cancel := context.WithCancel(ctx)
	return &Service{runner: runner, js: js, log: log, ctx: ctx, cancel: cancel}
}

// Trigger starts a run of mode in the background and returns it once it
// holds the lease. It fails with ErrBusy while a run is in progress.
func (s *Service) Trigger(ctx context.Context, mode events.Mode) (*run.Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if s.current != nil {
		return nil, fmt.Errorf("run %s: %w", s.current.ID, ErrBusy)
	}
	x, err := s.runner.Start(ctx, mode)
	var held *lease.HeldError
	if errors.As(err, &held) {
		return nil, fmt.Errorf("run %s by %s: %w", held.Holder.Run, held.Holder.Who, ErrBusy)
	}
	if err != nil {
		return nil, err
	}
	s.current = x
	s.wg.Add(1)
	go s.execute(x)
	return x, nil
}

func (s *Service) execute(x *run.Run) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		s.current = nil
		s.mu.Unlock()
	}()
	// The run logs its own outcome and publishes its marker.
	_, _ = x.Execute(s.ctx)
}

// Current returns the run in progress in this process, nil when none is.
func (s *Service) Current() *run.Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// Close stops accepting runs, interrupts the run in progress (it publishes
// its failed marker) and waits for it.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}
