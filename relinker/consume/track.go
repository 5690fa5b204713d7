package consume

import (
	"context"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go/jetstream"
)

// tracker keeps the JetStream message of the marker in hand alive.
type tracker struct {
	inflight *inflight
	every    time.Duration
	log      *slog.Logger
}

// middleware heartbeats the message while the rest of the chain runs; if
// the chain was stopped by shutdown, it naks the message so that another
// process takes the marker without waiting for the ack wait.
func (t *tracker) middleware(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		raw := t.inflight.take(msg.Metadata.Get(MetaSeq))
		ctx := msg.Context()
		stop := t.heartbeat(ctx, raw)
		out, err := h(msg)
		stop()
		if err != nil && ctx.Err() != nil && raw != nil {
			if nakErr := raw.Nak(); nakErr != nil {
				t.log.Debug("nak on shutdown failed", "error", nakErr)
			}
		}
		return out, err
	}
}

// heartbeat calls InProgress on raw every t.every until stop is called.
func (t *tracker) heartbeat(ctx context.Context, raw jetstream.Msg) (stop func()) {
	if raw == nil || t.every <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(t.every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := raw.InProgress(); err != nil {
					t.log.Debug("marker heartbeat failed", "error", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}
