package load

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// waiter holds the extracted markers whose runs are not yet in the graph.
// It runs beside the chunk loop, which never waits for it: the records a
// marker waits for may be held by another loader process, or by a chunk
// this one has not fetched yet.
//
// A run is in the graph once the consumer's ack floor has reached the
// marker's LastSeq: every message up to it is acknowledged, which the
// loaders do only after their commits, or terminated as a dead letter.
// The marker itself, unacknowledged, sits above LastSeq, so waiting on it
// cannot block its own run; markers of several runs wait independently.
type waiter struct {
	l *Loader

	mu      sync.Mutex
	pending []*pendingMarker // guarded by mu, in arrival order
	kick    chan struct{}
}

// pendingMarker is an extracted marker waiting for its run.
type pendingMarker struct {
	msg      jetstream.Msg
	seq      uint64
	marker   *events.Marker
	since    time.Time
	progress time.Time // last InProgress
}

func newWaiter(l *Loader) *waiter {
	return &waiter{l: l, kick: make(chan struct{}, 1)}
}

// add decodes an extracted marker and queues it. A marker that cannot be
// decoded, or whose LastSeq is not below its own sequence (it could never
// be released), is returned as an error for the dead-letter subject.
func (w *waiter) add(msg jetstream.Msg, seq uint64) error {
	m, err := events.DecodeMarker(msg.Subject(), msg.Headers(), msg.Data())
	if err != nil {
		return fmt.Errorf("decoding marker: %w", err)
	}
	if m.Stage != events.StageExtracted {
		return fmt.Errorf("marker %s: stage %s: %w", msg.Subject(), m.Stage, ErrUnexpectedMarker)
	}
	if m.LastSeq >= seq || m.FirstSeq > m.LastSeq {
		return fmt.Errorf("marker %s at sequence %d: records %d to %d: %w",
			msg.Subject(), seq, m.FirstSeq, m.LastSeq, ErrUnexpectedMarker)
	}
	now := time.Now()
	w.mu.Lock()
	w.pending = append(w.pending, &pendingMarker{msg: msg, seq: seq, marker: m,
		since: now, progress: now})
	w.mu.Unlock()
	w.wake()
	return nil
}

// wake makes the waiter read the ack floor now rather than at its next
// tick: a marker arrived, or a chunk was acknowledged.
func (w *waiter) wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// count reports how many markers wait.
func (w *waiter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

// run releases markers as the ack floor passes their runs, until ctx ends;
// then the markers still waiting are handed back to the server (Nak) for
// another loader, or this one after a restart.
func (w *waiter) run(ctx context.Context) {
	tick := time.NewTicker(w.l.cfg.MarkerPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			w.nakAll()
			return
		case <-w.kick:
		case <-tick.C:
		}
		if w.count() == 0 {
			continue
		}
		info, err := w.l.cons.Info(ctx)
		if err != nil {
			if ctx.Err() == nil {
				w.l.log.Debug("reading consumer info for markers", "err", err)
			}
			continue
		}
		w.release(ctx, info.AckFloor.Stream)
	}
}

// release publishes the loaded marker of every run whose records are all
// below floor, and keeps the others alive.
func (w *waiter) release(ctx context.Context, floor uint64) {
	w.mu.Lock()
	var ready, left []*pendingMarker
	for _, pm := range w.pending {
		if pm.marker.LastSeq <= floor {
			ready = append(ready, pm)
		} else {
			left = append(left, pm)
		}
	}
	w.pending = left
	w.mu.Unlock()

	for i, pm := range ready {
		if err := w.l.publishLoaded(ctx, pm); err != nil {
			if ctx.Err() == nil {
				w.l.log.Warn("publishing loaded marker", "run", pm.marker.Run, "err", err)
			}
			w.mu.Lock()
			w.pending = append(ready[i:], w.pending...)
			w.mu.Unlock()
			return
		}
	}
	now := time.Now()
	keep := w.l.ackWait / 4
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, pm := range w.pending {
		if now.Sub(pm.progress) >= keep {
			_ = pm.msg.InProgress()
			pm.progress = now
		}
	}
}

// nakAll hands every waiting marker back to the server.
func (w *waiter) nakAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, pm := range w.pending {
		_ = pm.msg.Nak()
	}
	w.pending = nil
}

// publishLoaded publishes a run's loaded marker with its counts and
// acknowledges the extracted marker.
func (l *Loader) publishLoaded(ctx context.Context, pm *pendingMarker) error {
	x := pm.marker
	key := runKey(x.Source, x.Run)
	counts, err := l.counts.get(ctx, key)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	started := counts.First
	if started.IsZero() || started.After(now) {
		started = pm.since.UTC()
	}
	nodes := counts.NodeCounts
	loaded := &events.Marker{
		Source:     x.Source,
		Run:        x.Run,
		Stage:      events.StageLoaded,
		Mode:       x.Mode,
		Who:        l.cfg.Who,
		StartedAt:  started,
		FinishedAt: now,
		Seconds:    now.Sub(started).Seconds(),
		FirstSeq:   x.FirstSeq,
		LastSeq:    x.LastSeq,
		Nodes:      &nodes,
	}
	msg, err := loaded.Msg()
	if err != nil {
		return err
	}
	if _, err := l.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("publishing loaded marker of run %s: %w", x.Run, err)
	}
	if err := pm.msg.DoubleAck(ctx); err != nil {
		return fmt.Errorf("acknowledging extracted marker of run %s: %w", x.Run, err)
	}
	l.metrics.runs.Inc()
	l.log.Info("run loaded", "source", x.Source, "run", x.Run, "mode", x.Mode,
		"records", nodes.Created+nodes.Updated+nodes.Deleted+nodes.Stale,
		"created", nodes.Created, "updated", nodes.Updated, "deleted", nodes.Deleted,
		"stale", nodes.Stale, "dead_letters", nodes.DeadLetters,
		"seconds", round(loaded.Seconds))
	return nil
}
