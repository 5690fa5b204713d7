package trigger

import (
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/crmgraph/crmgraph/events"
)

// Schedule starts the built-in schedule: incremental runs on incremental,
// full runs on full (standard five-field cron specs, UTC; an empty spec
// schedules nothing). A scheduled run that finds another in progress is
// skipped. Stop the returned cron to end the schedule.
func (s *Service) Schedule(incremental, full string) (*cron.Cron, error) {
	c := cron.New(cron.WithLocation(time.UTC))
	for _, e := range []struct {
		spec string
		mode events.Mode
	}{{incremental, events.ModeIncremental}, {full, events.ModeFull}} {
		if e.spec == "" {
			continue
		}
		if _, err := c.AddFunc(e.spec, func() { s.scheduled(e.mode) }); err != nil {
			return nil, fmt.Errorf("scheduling %s runs at %q: %w", e.mode, e.spec, err)
		}
		s.log.Info("runs scheduled", "mode", e.mode, "schedule", e.spec)
	}
	c.Start()
	return c, nil
}

func (s *Service) scheduled(mode events.Mode) {
	x, err := s.Trigger(s.ctx, mode)
	switch {
	case errors.Is(err, ErrBusy):
		s.log.Info("scheduled run skipped", "mode", mode, "reason", err)
	case err != nil:
		s.log.Error("scheduled run not started", "mode", mode, "error", err)
	default:
		s.log.Info("run triggered", "run", x.ID, "mode", mode, "by", "schedule")
	}
}
