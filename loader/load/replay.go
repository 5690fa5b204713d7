package load

import (
	"context"
	"fmt"

	"github.com/crmgraph/crmgraph/events"
)

// Rewind prepares a replay: with wipe, it deletes every node crmgraph
// wrote; it forgets the per-run counts, which the replay counts again; and
// it resets the durable consumer to the start of the stream, so that the
// next Run or Drain reads every record event and extracted marker again.
//
// Loaders running elsewhere on the same consumer keep running and share
// the replay; nodes they write between the wipe and the rewind are
// rewritten by it. Run markers are replayed too, so each run's loaded
// marker is published again once its records are back in the graph.
func (l *Loader) Rewind(ctx context.Context, wipe bool) error {
	if wipe {
		n, err := l.w.Wipe(ctx)
		if err != nil {
			return err
		}
		l.log.Info("graph wiped", "nodes", n)
	}
	if err := l.counts.purge(ctx); err != nil {
		return err
	}
	if _, err := l.js.ResetConsumerToSequence(ctx, events.StreamName, l.cfg.Consumer, 1); err != nil {
		return fmt.Errorf("rewinding consumer %s: %w", l.cfg.Consumer, err)
	}
	info, err := l.cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("reading consumer %s: %w", l.cfg.Consumer, err)
	}
	l.log.Info("consumer rewound", "backlog", info.NumPending)
	return nil
}
