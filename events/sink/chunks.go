package sink

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of ChunkOptions.
const (
	DefaultChunkSize        = 500
	DefaultChunkWait        = time.Second
	DefaultRetryInterval    = time.Second
	DefaultMaxRetryInterval = 30 * time.Second
)

// ackTimeout bounds a confirmed acknowledgement or a dead-letter publish,
// which go on for a moment after the sink's context ends.
const ackTimeout = 10 * time.Second

// ChunkOptions say how RunChunks cuts the stream into chunks.
type ChunkOptions struct {
	// Size is the most records in one chunk. It must not exceed the sink's
	// MaxAckPending. Zero means DefaultChunkSize.
	Size int
	// Wait is the longest wait for a chunk to fill: a chunk is handed over
	// when it is full or when Wait ends. At most half the sink's AckWait.
	// Zero means DefaultChunkWait.
	Wait time.Duration
	// RetryInterval is the first pause before a failed chunk is handed
	// over again; pauses double up to MaxRetryInterval. Zero means
	// DefaultRetryInterval and DefaultMaxRetryInterval.
	RetryInterval    time.Duration
	MaxRetryInterval time.Duration
}

func (o *ChunkOptions) setDefaults() {
	if o.Size == 0 {
		o.Size = DefaultChunkSize
	}
	if o.Wait == 0 {
		o.Wait = DefaultChunkWait
	}
	if o.RetryInterval == 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	if o.MaxRetryInterval == 0 {
		o.MaxRetryInterval = max(DefaultMaxRetryInterval, o.RetryInterval)
	}
}

func (o ChunkOptions) validate(c Config) error {
	switch {
	case o.Size < 1 || o.Size > c.MaxAckPending:
		return fmt.Errorf("sink %s: chunk size %d: want 1 to the max ack pending (%d): %w",
			c.Name, o.Size, c.MaxAckPending, ErrBadConfig)
	case o.Wait <= 0 || o.Wait > c.AckWait/2:
		return fmt.Errorf("sink %s: chunk wait %s: want above 0 and at most half the ack wait"+
			" (%s): %w", c.Name, o.Wait, c.AckWait/2, ErrBadConfig)
	case o.RetryInterval <= 0 || o.MaxRetryInterval < o.RetryInterval:
		return fmt.Errorf("sink %s: retry interval %s to %s: want 0 < first <= most: %w",
			c.Name, o.RetryInterval, o.MaxRetryInterval, ErrBadConfig)
	}
	return nil
}

// ChunkFunc writes a chunk of records, in stream order. It returns nil
// once they are written for good; only then are they acknowledged.
type ChunkFunc func(ctx context.Context, records []Record) error

// RunChunks hands the sink's records to fn in chunks until ctx ends, and
// returns nil then; it returns an error only for unusable options.
//
// Each chunk is one Fetch of up to opts.Size messages. Messages that are
// not record events go to the dead-letter subject crm.dlq.<sink>.<seq>
// and are terminated; the rest go to fn. While fn runs, every message of
// the chunk is kept in progress, so a long write is never redelivered
// under a live process. When fn returns nil the chunk is acknowledged
// (the last message with a confirmed ack). When fn fails, the same chunk
// is handed over again after a pause, without end: a record is never
// dropped because the sink's target was down, and order is kept. When ctx
// ends, a chunk not written is given back to the server (nak) for the
// next process.
func (s *Sink) RunChunks(ctx context.Context, opts ChunkOptions, fn ChunkFunc) error {
	opts.setDefaults()
	if err := opts.validate(s.cfg); err != nil {
		return err
	}
	pause := opts.RetryInterval
	for ctx.Err() == nil {
		msgs, err := s.fetch(opts)
		if err != nil {
			s.log.Warn("sink cannot fetch, retrying", "err", err, "wait", pause.String())
			sleep(ctx, pause)
			pause = min(2*pause, opts.MaxRetryInterval)
			continue
		}
		pause = opts.RetryInterval
		if len(msgs) > 0 {
			s.handleChunk(ctx, msgs, opts, fn)
		}
	}
	return nil
}

// fetch returns the next chunk of messages, possibly none.
func (s *Sink) fetch(opts ChunkOptions) ([]jetstream.Msg, error) {
	batch, err := s.consumer.Fetch(opts.Size, jetstream.FetchMaxWait(opts.Wait))
	if err != nil {
		return nil, fmt.Errorf("fetching chunk of sink %s: %w", s.cfg.Name, err)
	}
	msgs := make([]jetstream.Msg, 0, opts.Size)
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	if err := batch.Error(); err != nil && len(msgs) == 0 {
		return nil, fmt.Errorf("fetching chunk of sink %s: %w", s.cfg.Name, err)
	}
	return msgs, nil
}

// handleChunk decodes a chunk, hands its records to fn until fn succeeds
// or ctx ends, and acknowledges or gives back its messages.
func (s *Sink) handleChunk(ctx context.Context, msgs []jetstream.Msg,
	opts ChunkOptions, fn ChunkFunc) {
	start := time.Now()
	records := make([]Record, 0, len(msgs))
	kept := make([]jetstream.Msg, 0, len(msgs))
	for _, m := range msgs {
		r, err := decode(m)
		if err != nil {
			s.reject(ctx, m, err)
			continue
		}
		records = append(records, r)
		kept = append(kept, m)
	}
	if len(records) == 0 {
		return
	}

	stop := keepInProgress(kept, s.cfg.AckWait/4)
	err := s.retry(ctx, opts, len(records), func() error { return fn(ctx, records) })
	stop()
	if err != nil {
		for _, m := range kept {
			_ = m.Nak() // the server redelivers after AckWait anyway
		}
		return
	}
	s.ack(ctx, kept)
	s.log.Debug("sink chunk written", "records", len(records),
		"seconds", time.Since(start).Seconds())
}

// retry calls fn until it succeeds or ctx ends, pausing in between.
func (s *Sink) retry(ctx context.Context, opts ChunkOptions, n int, fn func() error) error {
	pause := opts.RetryInterval
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.log.Warn("sink chunk failed, retrying", "records", n, "attempt", attempt,
			"wait", pause.String(), "err", err)
		if !sleep(ctx, pause) {
			return ctx.Err()
		}
		pause = min(2*pause, opts.MaxRetryInterval)
	}
}

// ack acknowledges a written chunk. The last ack is confirmed by the
// server, which has then processed every ack before it.
func (s *Sink) ack(ctx context.Context, msgs []jetstream.Msg) {
	for _, m := range msgs[:len(msgs)-1] {
		if err := m.Ack(); err != nil {
			s.log.Warn("sink cannot acknowledge chunk", "records", len(msgs), "err", err)
			return
		}
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	defer cancel()
	if err := msgs[len(msgs)-1].DoubleAck(actx); err != nil {
		s.log.Warn("sink cannot acknowledge chunk", "records", len(msgs), "err", err)
	}
}

// reject sends an undecodable message to the dead letters and terminates
// it. If the dead letter cannot be published, the message is left to be
// redelivered.
func (s *Sink) reject(ctx context.Context, m jetstream.Msg, cause error) {
	var seq uint64
	if meta, err := m.Metadata(); err == nil {
		seq = meta.Sequence.Stream
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	defer cancel()
	err := s.deadLetter(dctx, seq, m.Subject(), m.Headers(), m.Data(), cause.Error())
	if err != nil {
		s.log.Warn("sink cannot send dead letter", "seq", seq, "err", err)
		_ = m.Nak()
		return
	}
	_ = m.TermWithReason("sent to dead letters")
}

// keepInProgress tells the server every interval that msgs are still
// being worked on, until the returned function is called.
func keepInProgress(msgs []jetstream.Msg, every time.Duration) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, m := range msgs {
					_ = m.InProgress()
				}
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// sleep waits for d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
