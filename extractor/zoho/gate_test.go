package zoho

import (
	"context"
	"testing"
	"time"
)

func TestGateServesTheHighestPriorityFirst(t *testing.T) {
	g := newGate(1)
	ctx := context.Background()
	if err := g.acquire(ctx, 0); err != nil {
		t.Fatal(err)
	}
	order := make(chan int, 3)
	for _, prio := range []int{1, 5, 3} {
		go func() {
			if err := g.acquire(ctx, prio); err == nil {
				order <- prio
				time.Sleep(5 * time.Millisecond)
				g.release()
			}
		}()
		time.Sleep(10 * time.Millisecond) // queue them in this order
	}
	g.release()
	for _, want := range []int{5, 3, 1} {
		if got := <-order; got != want {
			t.Fatalf("served priority %d, want %d", got, want)
		}
	}
}

func TestGateWaiterGivesUp(t *testing.T) {
	g := newGate(1)
	if err := g.acquire(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := g.acquire(ctx, 9); err == nil {
		t.Fatal("acquired a slot that was taken")
	}
	g.release()
	done := make(chan error, 1)
	go func() { done <- g.acquire(context.Background(), 0) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second):
		t.Fatal("the slot given back was lost to the waiter that gave up")
	}
}
