package archive

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/crmgraph/crmgraph/events/sink"
)

// Run archives the records of s until ctx ends, sealing files as they
// age, then seals every open file and closes the archive. nc is the
// watermill subscriber's own connection, drained on return.
func (a *Archive) Run(ctx context.Context, s *sink.Sink, nc *nats.Conn,
	opts sink.MessageOptions) error {
	a.log.Info("archive running", "dir", a.cfg.Dir, "sink", s.Name())
	start := time.Now()
	sctx, stopSealer := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if a.cfg.MaxFileAge > 0 {
		wg.Go(func() { a.sealAging(sctx) })
	}
	runErr := s.Run(ctx, nc, opts, a.Write)
	stopSealer()
	wg.Wait()
	closeErr := a.Close()
	a.log.Info("archive stopped", "seconds", time.Since(start).Seconds())
	if closeErr != nil {
		closeErr = fmt.Errorf("closing archive: %w", closeErr)
	}
	return errors.Join(runErr, closeErr)
}

// sealAging seals aged files until ctx ends, checking four times per
// MaxFileAge (at most once a second, at least once a minute).
func (a *Archive) sealAging(ctx context.Context) {
	every := min(max(a.cfg.MaxFileAge/4, time.Second), time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if err := a.SealIdle(now); err != nil {
				a.log.Warn("archive cannot seal aged files", "err", err)
			}
		}
	}
}

// ReplayIfEmpty rewinds s to the start of the stream if the archive holds
// no record yet, and reports whether it did. A replay never goes into a
// directory that holds an archive (see the package comment), so a process
// restarted with the same replay request resumes its replay instead of
// starting it over.
func (a *Archive) ReplayIfEmpty(ctx context.Context, s *sink.Sink) (bool, error) {
	if !a.Empty() {
		return false, nil
	}
	if err := s.Replay(ctx); err != nil {
		return false, err
	}
	a.log.Info("archive replaying the stream from the start", "dir", a.cfg.Dir)
	return true, nil
}
