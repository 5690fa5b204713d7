package zohosim

import (
	"sync"
	"time"
)

// creditWindow is the rolling window of the daily credit budget, kept per minute.
const (
	creditWindow  = 24 * time.Hour
	creditBuckets = int(creditWindow / time.Minute)
)

// limiter enforces the edition's concurrency caps and the rolling credit budget.
type limiter struct {
	mu       sync.Mutex
	max      int // calls in flight
	subMax   int // heavy calls in flight
	budget   int // credits per rolling 24 h; 0 means unlimited
	inFlight int
	heavy    int
	peak     int
	minute   [creditBuckets]int64 // minute number of each bucket
	used     [creditBuckets]int   // credits charged in that minute
}

// newLimiter returns a limiter for an edition's caps and a credit budget.
func newLimiter(max, budget int) *limiter {
	return &limiter{max: max, subMax: min(subConcurrency, max), budget: budget}
}

// acquire takes a slot for one call. It reports false, taking nothing, when the
// concurrency cap (or the sub-concurrency cap for heavy calls) is reached, or when the
// credits are spent; the reason is "concurrency" or "credits".
func (l *limiter) acquire(heavy bool, now time.Time) (ok bool, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.budget > 0 && l.usedLocked(now) >= l.budget {
		return false, "credits"
	}
	if l.inFlight >= l.max || heavy && l.heavy >= l.subMax {
		return false, "concurrency"
	}
	l.inFlight++
	if heavy {
		l.heavy++
	}
	l.peak = max(l.peak, l.inFlight)
	return true, ""
}

// release returns the slot acquire took.
func (l *limiter) release(heavy bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight--
	if heavy {
		l.heavy--
	}
}

// charge records credits spent now.
func (l *limiter) charge(credits int, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := now.Unix() / 60
	i := int(m % int64(creditBuckets))
	if l.minute[i] != m {
		l.minute[i], l.used[i] = m, 0
	}
	l.used[i] += credits
}

// remaining returns the credits left in the window and the budget (0: unlimited).
func (l *limiter) remaining(now time.Time) (left, budget int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.budget - l.usedLocked(now), l.budget
}

// usedLocked sums the credits charged in the last 24 hours. l.mu must be held.
func (l *limiter) usedLocked(now time.Time) int {
	m := now.Unix() / 60
	total := 0
	for i, bm := range l.minute {
		if m-bm < int64(creditBuckets) && l.used[i] > 0 {
			total += l.used[i]
		}
	}
	return total
}

// peakInFlight returns the most calls that were in flight at once.
func (l *limiter) peakInFlight() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.peak
}
