package load

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/graph"
	"github.com/crmgraph/crmgraph/loader/neo4jw"
)

// Loader consumes record events and extracted markers and writes nodes.
// Any number of Loaders, in any number of processes, may share the
// durable consumer.
type Loader struct {
	js      jetstream.JetStream
	cons    jetstream.Consumer
	w       *neo4jw.Writer
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	counts  *counter
	waiter  *waiter
	// mapper maps record bodies; only the fetch goroutine maps, every
	// goroutine that settles a chunk hands its maps back.
	mapper *graph.Mapper
	// ackWait is the consumer's AckWait: held messages are kept alive
	// well within it.
	ackWait time.Duration

	// committed counts the records committed since the loader started.
	committed atomic.Int64

	mu sync.Mutex
	// held holds the chunks fetched and not yet settled. Guarded by mu.
	held map[*chunk]struct{}
}

// New returns a loader on the durable consumer cfg.Consumer, which must
// exist (events.Setup creates it). It creates the counts bucket, the
// tombstones' constraint and the constraints of the overridden labels.
// reg may be nil.
func New(ctx context.Context, js jetstream.JetStream, w *neo4jw.Writer, cfg Config,
	log *slog.Logger, reg prometheus.Registerer) (*Loader, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cons, err := js.Consumer(ctx, events.StreamName, cfg.Consumer)
	if err != nil {
		return nil, fmt.Errorf("opening consumer %s: %w", cfg.Consumer, err)
	}
	kv, err := ensureRunsBucket(ctx, js)
	if err != nil {
		return nil, err
	}
	if err := w.Prepare(ctx); err != nil {
		return nil, err
	}
	for module := range cfg.Labels.Overrides {
		label, err := cfg.Labels.Label(module)
		if err == nil {
			err = w.EnsureLabel(ctx, label)
		}
		if err != nil {
			return nil, fmt.Errorf("preparing label of module %s: %w", module, err)
		}
	}
	l := &Loader{
		js:      js,
		cons:    cons,
		w:       w,
		cfg:     cfg,
		log:     log,
		metrics: newMetrics(reg),
		counts:  &counter{kv: kv},
		mapper:  cfg.Mapping.NewMapper(),
		ackWait: cons.CachedInfo().Config.AckWait,
		held:    map[*chunk]struct{}{},
	}
	if l.ackWait <= 0 {
		l.ackWait = 30 * time.Second
	}
	l.waiter = newWaiter(l)
	return l, nil
}

// errDrained ends a Drain once nothing is left.
var errDrained = errors.New("consumer drained")

// Run loads until ctx ends, then finishes or abandons the chunks in hand
// and returns. It returns an error only when the loader cannot go on (a
// statement Neo4j refuses whatever the data); transient failures of NATS
// or Neo4j are retried for as long as ctx lasts.
func (l *Loader) Run(ctx context.Context) error {
	return l.run(ctx, false)
}

// Drain loads until the consumer has nothing pending and nothing in
// flight (every message acknowledged, every waiting marker released),
// then returns. A replay uses it to rebuild the graph and exit.
func (l *Loader) Drain(ctx context.Context) error {
	return l.run(ctx, true)
}

func (l *Loader) run(parent context.Context, drain bool) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	// work carries the writes in flight: it ends ShutdownGrace after ctx.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(l.cfg.ShutdownGrace, stopWork) })
	defer stopGrace()

	start, startCount := time.Now(), l.committed.Load()
	chunks := make(chan *chunk) // unbuffered: the fetcher works one chunk ahead
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(chunks)
		l.fetchLoop(ctx, chunks)
	})
	for range l.cfg.Writers {
		wg.Go(func() { l.commitLoop(ctx, work, chunks, cancel) })
	}
	wg.Go(func() { l.waiter.run(ctx) })
	wg.Go(func() { l.keepalive(ctx) })
	wg.Go(func() { l.watch(ctx, drain, cancel) })
	wg.Wait()

	err := context.Cause(ctx)
	if drain && errors.Is(err, errDrained) {
		l.log.Info("stream drained", "records", l.committed.Load()-startCount,
			"seconds", round(time.Since(start).Seconds()))
		return nil
	}
	if err != nil && !errors.Is(err, context.Canceled) && parent.Err() == nil {
		return err
	}
	if drain && parent.Err() != nil {
		return fmt.Errorf("draining consumer %s: %w", l.cfg.Consumer, ErrStopped)
	}
	return nil
}

// commitLoop commits chunks until the fetcher closes the channel. A chunk
// that cannot be committed is handed back to the server; an error that is
// not a shutdown stops the loader.
func (l *Loader) commitLoop(ctx, work context.Context, chunks <-chan *chunk,
	stop context.CancelCauseFunc) {
	for c := range chunks {
		if ctx.Err() == nil {
			if err := l.commit(ctx, work, c); err != nil {
				l.abandon(c)
				if !errors.Is(err, ErrStopped) {
					l.log.Error("loader stopping", "err", err)
					stop(err)
				}
			}
		} else {
			l.abandon(c)
		}
		l.release(c)
	}
}

// recycle hands a settled chunk's property maps back to the mapper.
func (l *Loader) recycle(c *chunk) {
	for _, it := range c.items {
		l.mapper.Release(it.row.Props)
		it.row.Props = nil
	}
}

// fetchLoop fetches and prepares chunks until ctx ends.
func (l *Loader) fetchLoop(ctx context.Context, out chan<- *chunk) {
	bo := l.backoff()
	idle := true
	for ctx.Err() == nil {
		msgs, err := l.fetch(ctx, idle)
		if err != nil && ctx.Err() == nil {
			wait := bo.NextBackOff()
			l.log.Warn("fetching from NATS failed, retrying", "err", err,
				"wait", wait.Round(time.Millisecond).String())
			sleep(ctx, wait)
		} else if err == nil {
			bo.Reset()
		}
		idle = len(msgs) == 0
		if idle {
			continue
		}
		c := l.prepare(msgs)
		if len(c.items) == 0 {
			continue // markers only: the waiter has them
		}
		l.hold(c)
		if ctx.Err() != nil {
			l.abandon(c)
			l.release(c)
			return
		}
		select {
		case out <- c:
		case <-ctx.Done():
			l.abandon(c)
			l.release(c)
			return
		}
	}
}

// fetch pulls one chunk. An idle loader first waits for one message, so
// that it neither spins nor holds a trickle of events back for a whole
// FetchWait; then, or when busy, it asks for a full chunk and takes what
// arrives within FetchWait.
//
// The chunk's Fetch uses the server-side expiry (FetchMaxWait), never a
// context deadline: the client gives up on a Fetch a second after its
// expiry, so a message the server sent just before it expired still
// arrives, whereas a context deadline would drop it on the floor and
// leave it unacknowledged until the consumer's AckWait. Only the idle
// wait ends early on shutdown; it risks at most one message.
func (l *Loader) fetch(ctx context.Context, idle bool) ([]jetstream.Msg, error) {
	msgs := make([]jetstream.Msg, 0, l.cfg.ChunkSize)
	want := l.cfg.ChunkSize
	if idle {
		first, err := l.pull(msgs, 1, jetstream.FetchContext(ctx))
		if err != nil || len(first) == 0 || want == 1 || ctx.Err() != nil {
			return first, err
		}
		msgs, want = first, want-1
	}
	return l.pull(msgs, want, jetstream.FetchMaxWait(l.cfg.FetchWait))
}

// pull is one Fetch of up to n messages, appended to msgs.
func (l *Loader) pull(msgs []jetstream.Msg, n int,
	opt jetstream.FetchOpt) ([]jetstream.Msg, error) {
	b, err := l.cons.Fetch(n, opt)
	if err != nil {
		return msgs, fmt.Errorf("fetching from consumer %s: %w", l.cfg.Consumer, err)
	}
	for m := range b.Messages() {
		msgs = append(msgs, m)
	}
	if err := b.Error(); err != nil && !errors.Is(err, context.Canceled) {
		return msgs, fmt.Errorf("fetching from consumer %s: %w", l.cfg.Consumer, err)
	}
	return msgs, nil
}

// hold and release track the chunks whose messages the keepalive renews.
func (l *Loader) hold(c *chunk) {
	l.mu.Lock()
	l.held[c] = struct{}{}
	l.mu.Unlock()
}

func (l *Loader) release(c *chunk) {
	l.mu.Lock()
	delete(l.held, c)
	l.mu.Unlock()
	l.recycle(c)
}

func (l *Loader) heldCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held)
}

// abandon hands a chunk's messages back to the server unacknowledged, to
// be delivered again at once (to this loader or another).
func (l *Loader) abandon(c *chunk) {
	for _, it := range c.items {
		_ = it.msg.Nak()
	}
}

// keepalive tells the server that held messages are still being worked
// on, so that a chunk written through a long Neo4j outage is not
// redelivered to another loader meanwhile.
func (l *Loader) keepalive(ctx context.Context) {
	every := l.ackWait / 4
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		l.mu.Lock()
		var old []*chunk
		for c := range l.held {
			if time.Since(c.fetched) >= every {
				old = append(old, c)
			}
		}
		l.mu.Unlock()
		for _, c := range old {
			for _, it := range c.items {
				_ = it.msg.InProgress()
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
