package load

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/graph"
	"github.com/crmgraph/crmgraph/loader/neo4jw"
)

// commit writes a chunk in one transaction and then settles its messages:
// dead letters are published and terminated, the counts are added, and
// everything else is acknowledged. Retries stop when ctx ends; the write
// in flight runs on work, which outlives ctx by the shutdown grace. An
// error means the chunk was not committed and nothing was acknowledged.
func (l *Loader) commit(ctx, work context.Context, c *chunk) error {
	start := time.Now()
	res, err := l.write(ctx, work, c.writable())
	if err != nil {
		return err
	}
	l.metrics.chunkTime.Observe(time.Since(start).Seconds())

	if err := l.deadLetters(ctx, work, c); err != nil {
		return stopped(ctx, err)
	}
	if err := l.count(ctx, work, c, res); err != nil {
		return stopped(ctx, err)
	}
	records := 0
	for _, it := range c.items {
		if it.poison != "" {
			continue
		}
		_ = it.msg.Ack() // a lost ack means a redelivery, which changes nothing
		records++
		l.metrics.records.WithLabelValues(it.module, string(it.op)).Inc()
	}
	l.committed.Add(int64(records))
	if l.waiter.count() > 0 {
		l.waiter.wake() // the acks may have moved the ack floor past a run
	}
	l.metrics.chunks.Inc()
	t := res.Total
	l.metrics.nodes.WithLabelValues("created").Add(float64(t.Created))
	l.metrics.nodes.WithLabelValues("updated").Add(float64(t.Updated))
	l.metrics.nodes.WithLabelValues("deleted").Add(float64(t.Deleted))
	l.metrics.nodes.WithLabelValues("stale").Add(float64(t.Stale))
	l.log.Debug("chunk committed", "records", records, "created", t.Created,
		"updated", t.Updated, "deleted", t.Deleted, "stale", t.Stale,
		"seconds", round(time.Since(start).Seconds()))
	return nil
}

// write writes items, retrying with exponential backoff while Neo4j fails
// transiently (unreachable, restarting, out of retries for a deadlock).
// When Neo4j refuses the data itself, the items are split in halves and
// written separately until the one item it refuses is found; that item is
// marked poison and the others are written.
func (l *Loader) write(ctx, work context.Context, items []*item) (neo4jw.Result, error) {
	if len(items) == 0 {
		return neo4jw.Result{}, nil
	}
	b := batch(items)
	attempt := func() (neo4jw.Result, error) {
		r, err := l.w.Write(work, b)
		if err != nil && (neo4jw.IsDataError(err) || neo4jw.IsFatal(err) ||
			errors.Is(err, graph.ErrBadName) || work.Err() != nil) {
			return r, backoff.Permanent(err)
		}
		return r, err
	}
	res, err := backoff.Retry(ctx, attempt,
		backoff.WithBackOff(l.backoff()),
		backoff.WithMaxElapsedTime(0),
		backoff.WithNotify(func(err error, wait time.Duration) {
			l.metrics.retries.Inc()
			l.log.Warn("neo4j write failed, retrying", "records", len(items),
				"wait", wait.Round(time.Millisecond).String(), "err", err)
		}))
	switch {
	case err == nil:
		return res, nil
	case ctx.Err() != nil || work.Err() != nil:
		return neo4jw.Result{}, fmt.Errorf("writing chunk of %d records: %w", len(items),
			errors.Join(err, ErrStopped))
	case !neo4jw.IsDataError(err) && !errors.Is(err, graph.ErrBadName):
		return neo4jw.Result{}, fmt.Errorf("writing chunk of %d records: %w", len(items), err)
	case len(items) == 1:
		items[0].poison = fmt.Sprintf("neo4j refused the record: %v", err)
		return neo4jw.Result{}, nil
	}
	half := len(items) / 2
	res, err = l.write(ctx, work, items[:half])
	if err != nil {
		return neo4jw.Result{}, err
	}
	res2, err := l.write(ctx, work, items[half:])
	if err != nil {
		return neo4jw.Result{}, err
	}
	res.Merge(res2)
	return res, nil
}

// backoff is the loader's retry schedule: from a quarter of a second up
// to ten seconds between attempts, forever.
func (l *Loader) backoff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 250 * time.Millisecond
	b.MaxInterval = 10 * time.Second
	return b
}

// deadLetters publishes each poison item of a chunk to
// crm.dlq.loader.<seq> with the reason, then terminates it.
func (l *Loader) deadLetters(ctx, work context.Context, c *chunk) error {
	for _, it := range c.items {
		if it.poison == "" {
			continue
		}
		dl := events.DeadLetter{Stage: "loader", Seq: it.seq, Subject: it.msg.Subject(),
			Reason: it.poison, Header: it.msg.Headers(), Data: it.msg.Data()}
		msg, err := dl.Msg()
		if err != nil {
			return fmt.Errorf("building dead letter of sequence %d: %w", it.seq, err)
		}
		_, err = backoff.Retry(ctx, func() (struct{}, error) {
			_, err := l.js.PublishMsg(work, msg)
			return struct{}{}, err
		}, backoff.WithBackOff(l.backoff()), backoff.WithMaxElapsedTime(0))
		if err != nil {
			return fmt.Errorf("publishing dead letter of sequence %d: %w", it.seq, err)
		}
		_ = it.msg.TermWithReason(truncate(it.poison, 200))
		l.metrics.deadLetters.Inc()
		l.log.Warn("message sent to dead letters", "seq", it.seq, "subject", it.msg.Subject(),
			"reason", it.poison)
	}
	return nil
}

// count adds a chunk's counts to its runs' keys.
func (l *Loader) count(ctx, work context.Context, c *chunk, res neo4jw.Result) error {
	byKey := map[string]events.NodeCounts{}
	for group, n := range res.ByGroup {
		if group == "" {
			continue
		}
		byKey[group] = events.NodeCounts{Created: n.Created, Updated: n.Updated,
			Deleted: n.Deleted, Stale: n.Stale}
	}
	for _, it := range c.items {
		key := runKey(it.source, it.run)
		if key == "" {
			continue
		}
		switch {
		case it.poison != "":
			n := byKey[key]
			n.DeadLetters++
			byKey[key] = n
		case it.stale:
			n := byKey[key]
			n.Stale++
			byKey[key] = n
		}
	}
	now := time.Now().UTC()
	for key, n := range byKey {
		_, err := backoff.Retry(ctx, func() (struct{}, error) {
			return struct{}{}, l.counts.add(work, key, n, now)
		}, backoff.WithBackOff(l.backoff()), backoff.WithMaxElapsedTime(0))
		if err != nil {
			return err
		}
	}
	return nil
}

// stopped marks err as a shutdown when ctx has ended.
func stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.Join(err, ErrStopped)
	}
	return err
}

// truncate cuts s to at most n bytes of valid UTF-8.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// round keeps three decimals, for log lines.
func round(f float64) float64 {
	return float64(int64(f*1000+0.5)) / 1000
}
