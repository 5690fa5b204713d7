// Package publish puts a run's record events, schemas and markers on the CRM
// stream. Record events go out with PublishMsgAsync inside a bounded window;
// the publisher counts every acknowledgement, remembers the lowest and
// highest stream sequence, and republishes (synchronously, deduplicated by
// Nats-Msg-Id) the few messages whose asynchronous publish failed, so that
// Wait returns only when every record event of the run is stored.
package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Errors returned by this package.
var (
	// ErrTooManyFailures means so many asynchronous publishes failed that
	// the run gives up instead of republishing them one by one.
	ErrTooManyFailures = errors.New("too many failed publishes")
)

// Options tune a Publisher.
type Options struct {
	// Window is the most record events in flight (published, not yet
	// acknowledged). Default 4000.
	Window int
	// StallWait is how long one publish waits for room in a full window
	// before it tries again; a full window is back-pressure, never a lost
	// record. Default 5s.
	StallWait time.Duration
	// MaxFailures is the most failed asynchronous publishes Wait retries.
	// Default 10000.
	MaxFailures int
	// Timeout bounds each synchronous publish (schemas, markers, retries).
	// Default 10s.
	Timeout time.Duration
}

func (o *Options) setDefaults() {
	if o.Window <= 0 {
		o.Window = 4000
	}
	if o.StallWait <= 0 {
		o.StallWait = 5 * time.Second
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = 10000
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
}

// Publisher publishes the messages of one run. Record is safe for
// concurrent use; Wait is called once, after the last Record.
type Publisher struct {
	opts Options
	js   jetstream.JetStream // a JetStream context of its own, so that its
	// acknowledgement handlers and PublishAsyncComplete see only this run

	mu        sync.Mutex // guards the fields below
	published int
	acked     int
	dups      []*nats.Msg // acknowledged as duplicates: nothing was stored
	first     uint64
	last      uint64
	failed    []*nats.Msg
	lost      int // failures beyond MaxFailures
}

// Result is what a publisher's record events came to.
type Result struct {
	// Published counts record events published (retries not included).
	Published int
	// Retried counts record events published again: after a failed
	// publish, or dropped as a duplicate of an event no longer the latest.
	Retried int
	// FirstSeq and LastSeq bound the stream sequences of the acknowledged
	// record events; zero when none was published.
	FirstSeq, LastSeq uint64
}

// New returns a publisher on nc.
func New(nc *nats.Conn, o Options) (*Publisher, error) {
	o.setDefaults()
	p := &Publisher{opts: o}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(o.Window),
		jetstream.WithPublishAsyncAckHandler(p.onAck),
		jetstream.WithPublishAsyncErrHandler(p.onErr))
	if err != nil {
		return nil, fmt.Errorf("opening JetStream for publishing: %w", err)
	}
	p.js = js
	return p, nil
}

// Record publishes one record event asynchronously. When the window is
// full it waits, for as long as ctx allows.
func (p *Publisher) Record(ctx context.Context, e events.RecordEvent) error {
	m, err := e.Msg()
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.published++
	p.mu.Unlock()
	for {
		_, err := p.js.PublishMsgAsync(m, jetstream.WithStallWait(p.opts.StallWait))
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
			return fmt.Errorf("publishing record %s: %w", e.Key, err)
		}
		if err := context.Cause(ctx); err != nil {
			return fmt.Errorf("publishing record %s: %w", e.Key, err)
		}
	}
}

func (p *Publisher) onAck(_ jetstream.JetStream, m *nats.Msg, pa *jetstream.PubAck) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.acked++
	if pa.Duplicate {
		// The server dropped the message: an identical one (same record,
		// same hash) was published within the duplicate window. Wait checks
		// that it is still the record's latest event.
		p.dups = append(p.dups, m)
		return
	}
	p.noteSeq(pa.Sequence)
}

// noteSeq widens [first, last] to seq. p.mu is held.
func (p *Publisher) noteSeq(seq uint64) {
	if p.first == 0 || seq < p.first {
		p.first = seq
	}
	if seq > p.last {
		p.last = seq
	}
}

func (p *Publisher) onErr(_ jetstream.JetStream, m *nats.Msg, _ error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.failed) < p.opts.MaxFailures {
		p.failed = append(p.failed, m)
	} else {
		p.lost++
	}
}

// Wait returns when every record event published so far is acknowledged:
// it waits for the asynchronous acknowledgements, then republishes the
// messages whose publish failed, one by one with retries.
func (p *Publisher) Wait(ctx context.Context) (Result, error) {
	select {
	case <-p.js.PublishAsyncComplete():
	case <-ctx.Done():
		return p.result(0), fmt.Errorf("waiting for acknowledgements: %w", context.Cause(ctx))
	}
	p.mu.Lock()
	failed, lost := p.failed, p.lost
	p.failed = nil
	p.mu.Unlock()
	if lost > 0 {
		return p.result(0), fmt.Errorf("%d publishes failed: %w", len(failed)+lost,
			ErrTooManyFailures)
	}
	for _, m := range failed {
		pa, err := p.publishSync(ctx, m)
		if err != nil {
			return p.result(0), fmt.Errorf("republishing %s: %w", m.Subject, err)
		}
		p.mu.Lock()
		if !pa.Duplicate {
			p.noteSeq(pa.Sequence)
		}
		p.mu.Unlock()
	}
	revived, err := p.revive(ctx)
	if err != nil {
		return p.result(0), err
	}
	return p.result(len(failed) + revived), nil
}

// revive handles the events the server dropped as duplicates. Usually the
// identical event is the record's latest and nothing is to be done. When
// the record changed in between and changed back (A, B, A within the
// duplicate window), the stream holds B: the event is published again
// under a Nats-Msg-Id qualified by the run, which the server has not seen.
func (p *Publisher) revive(ctx context.Context) (int, error) {
	p.mu.Lock()
	dups := p.dups
	p.dups = nil
	p.mu.Unlock()
	if len(dups) == 0 {
		return 0, nil
	}
	stream, err := p.js.Stream(ctx, events.StreamName)
	if err != nil {
		return 0, fmt.Errorf("reading stream %s: %w", events.StreamName, err)
	}
	n := 0
	for _, m := range dups {
		last, err := stream.GetLastMsgForSubject(ctx, m.Subject)
		if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return n, fmt.Errorf("reading the latest event of %s: %w", m.Subject, err)
		}
		if err == nil && last.Header.Get(events.HeaderHash) == m.Header.Get(events.HeaderHash) {
			continue
		}
		again := nats.NewMsg(m.Subject)
		again.Data = m.Data
		for k, v := range m.Header {
			again.Header[k] = v
		}
		again.Header.Set(events.HeaderMsgID,
			m.Header.Get(events.HeaderMsgID)+":"+m.Header.Get(events.HeaderRun))
		pa, err := p.publishSync(ctx, again)
		if err != nil {
			return n, fmt.Errorf("republishing %s: %w", m.Subject, err)
		}
		p.mu.Lock()
		p.noteSeq(pa.Sequence)
		p.mu.Unlock()
		n++
	}
	return n, nil
}

func (p *Publisher) result(retried int) Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Result{Published: p.published, Retried: retried, FirstSeq: p.first, LastSeq: p.last}
}

// Schema publishes a module's schema and waits for its acknowledgement.
func (p *Publisher) Schema(ctx context.Context, s *events.Schema) error {
	m, err := s.Msg()
	if err != nil {
		return err
	}
	if _, err := p.publishSync(ctx, m); err != nil {
		return fmt.Errorf("publishing schema of %s: %w", s.Module, err)
	}
	return nil
}

// Marker publishes a run marker and waits for its acknowledgement. It
// returns the marker's stream sequence.
func (p *Publisher) Marker(ctx context.Context, mk *events.Marker) (uint64, error) {
	m, err := mk.Msg()
	if err != nil {
		return 0, err
	}
	pa, err := p.publishSync(ctx, m)
	if err != nil {
		return 0, fmt.Errorf("publishing %s marker of run %s: %w", mk.Stage, mk.Run, err)
	}
	return pa.Sequence, nil
}

// publishSync publishes one message and waits for its acknowledgement,
// retrying a few times: its Nats-Msg-Id makes a repeat harmless.
func (p *Publisher) publishSync(ctx context.Context, m *nats.Msg) (*jetstream.PubAck, error) {
	op := func() (*jetstream.PubAck, error) {
		cctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
		defer cancel()
		return p.js.PublishMsg(cctx, m)
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 100 * time.Millisecond
	return backoff.Retry(ctx, op, backoff.WithBackOff(b), backoff.WithMaxTries(5))
}

// Close releases the publisher's resources.
func (p *Publisher) Close() {
	p.js.CleanupPublisher()
}
