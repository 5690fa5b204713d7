package load

import (
	"context"
	"time"
)

// drainPoll is how often Drain checks whether anything is left.
const drainPoll = 200 * time.Millisecond

// watch reads the consumer's state: it sets the backlog gauge, logs a
// progress line every ProgressEvery while a backlog drains, and, when
// drain is set, stops the loader once nothing is pending, in flight or
// waiting.
func (l *Loader) watch(ctx context.Context, drain bool, stop context.CancelCauseFunc) {
	every := l.cfg.ProgressEvery
	poll := every
	if drain || poll <= 0 {
		poll = drainPoll
	}
	if !drain && every <= 0 {
		poll = DefaultProgressEvery // the gauge is still kept
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	lastLog, lastCount := time.Now(), l.committed.Load()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		info, err := l.cons.Info(ctx)
		if err != nil {
			continue
		}
		backlog := info.NumPending + uint64(info.NumAckPending)
		l.metrics.backlog.Set(float64(backlog))
		if drain && backlog == 0 && l.heldCount() == 0 && l.waiter.count() == 0 {
			stop(errDrained)
			return
		}
		now := time.Now()
		if every <= 0 || now.Sub(lastLog) < every {
			continue
		}
		n := l.committed.Load()
		if backlog > 0 {
			secs := now.Sub(lastLog).Seconds()
			l.log.Info("loading", "records", n-lastCount,
				"records_per_second", int64(float64(n-lastCount)/secs), "backlog", backlog)
		}
		lastLog, lastCount = now, n
	}
}
