package zoho

import (
	"container/heap"
	"context"
	"sync"
)

// gate is a counting semaphore that hands free slots to the waiter with
// the highest priority, first come first served among equals. The client
// gives a call the length of the chain of pages still behind it, so that
// the longest chains, which set the length of a run, never queue behind
// short ones.
type gate struct {
	mu      sync.Mutex // guards the fields below
	free    int
	waiting waiters
	seq     uint64
}

func newGate(n int) *gate { return &gate{free: n} }

// waiter is a caller blocked in acquire.
type waiter struct {
	prio  int
	seq   uint64
	ready chan struct{} // closed when the slot is handed over
	index int           // position in the heap; -1 once handed over
}

// acquire takes a slot, waiting for one for as long as ctx allows.
func (g *gate) acquire(ctx context.Context, prio int) error {
	g.mu.Lock()
	if g.free > 0 && len(g.waiting) == 0 {
		g.free--
		g.mu.Unlock()
		return nil
	}
	g.seq++
	w := &waiter{prio: prio, seq: g.seq, ready: make(chan struct{})}
	heap.Push(&g.waiting, w)
	g.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		defer g.mu.Unlock()
		if w.index < 0 { // handed a slot while giving up: pass it on
			g.releaseLocked()
		} else {
			heap.Remove(&g.waiting, w.index)
		}
		return context.Cause(ctx)
	}
}

// release gives a slot back.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.releaseLocked()
}

func (g *gate) releaseLocked() {
	if len(g.waiting) == 0 {
		g.free++
		return
	}
	w := heap.Pop(&g.waiting).(*waiter)
	w.index = -1
	close(w.ready)
}

// waiters is a heap of waiters, highest priority first, then oldest.
type waiters []*waiter

// Len, Less, Swap, Push and Pop implement heap.Interface.
func (h waiters) Len() int { return len(h) }

func (h waiters) Less(i, j int) bool {
	if h[i].prio != h[j].prio {
		return h[i].prio > h[j].prio
	}
	return h[i].seq < h[j].seq
}

func (h waiters) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *waiters) Push(x any) {
	w := x.(*waiter)
	w.index = len(*h)
	*h = append(*h, w)
}

func (h *waiters) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return w
}
