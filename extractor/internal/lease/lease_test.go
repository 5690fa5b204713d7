package lease_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/extractor/internal/lease"
)

func TestLease(t *testing.T) {
	ns := natstest.Start(t)
	ns.Setup(t)
	ctx := context.Background()
	kv, err := lease.Bucket(ctx, ns.JS)
	if err != nil {
		t.Fatal(err)
	}
	h := lease.Holder{Run: "r1", Mode: "full", Who: "test", Started: time.Now().UTC()}
	l, err := lease.Acquire(ctx, kv, "zoho", h)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lease.Acquire(ctx, kv, "zoho", lease.Holder{Run: "r2"})
	var held *lease.HeldError
	if !errors.As(err, &held) || held.Holder.Run != "r1" || !errors.Is(err, lease.ErrHeld) {
		t.Fatalf("second acquire: %v, want ErrHeld by r1", err)
	}
	if _, err := lease.Acquire(ctx, kv, "other", lease.Holder{Run: "r3"}); err != nil {
		t.Errorf("another source's lease: %v", err)
	}

	lost := make(chan error, 1)
	l.Keep(20*time.Millisecond, func(err error) { lost <- err })
	time.Sleep(100 * time.Millisecond)
	e, err := kv.Get(ctx, "zoho")
	if err != nil || e.Revision() < 3 {
		t.Errorf("lease not renewed: %v, %v", e, err)
	}
	if err := kv.Delete(ctx, "zoho"); err != nil { // taken away, as after expiry
		t.Fatal(err)
	}
	select {
	case err := <-lost:
		if !errors.Is(err, lease.ErrLost) {
			t.Errorf("lost with %v, want ErrLost", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the lost lease was not noticed")
	}
	_ = l.Release(ctx)

	l2, err := lease.Acquire(ctx, kv, "zoho", lease.Holder{Run: "r4"})
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	if err := l2.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if cur, err := lease.Current(ctx, kv, "zoho"); err != nil || cur != nil {
		t.Errorf("after release the lease is %v, %v", cur, err)
	}
}
