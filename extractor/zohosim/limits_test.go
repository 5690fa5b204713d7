package zohosim

import (
	"sync"
	"testing"
	"time"
)

// burst sends n calls at once and returns how many were answered 429, checking that
// no 429 carries a Retry-After header.
func burst(t *testing.T, c *client, n int, call func() (int, []byte, string)) int {
	t.Helper()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		limited int
	)
	for range n {
		wg.Go(func() {
			status, body, retry := call()
			if status == 429 {
				checkError(t, status, body, 429, "TOO_MANY_REQUESTS", nil)
				if retry != "" {
					t.Errorf("429 with Retry-After %q", retry)
				}
				mu.Lock()
				limited++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return limited
}

func TestConcurrencyCaps(t *testing.T) {
	tests := []struct {
		edition string
		coql    bool
		calls   int
		limited int
	}{
		{"free", false, 8, 3},
		{"standard", false, 13, 3},
		{"professional", false, 17, 2},
		{"ultimate", false, 27, 2},
		{"ultimate", true, 12, 2}, // COQL: the sub-concurrency cap of 10
	}
	for _, tt := range tests {
		name := tt.edition
		if tt.coql {
			name += " coql"
		}
		t.Run(name, func(t *testing.T) {
			lat := time.Second // long enough for every call of the burst to arrive
			srv := startServer(t, Config{Edition: tt.edition, Latency: Latency{lat, lat}})
			c := newClient(t, srv)
			got := burst(t, c, tt.calls, func() (int, []byte, string) {
				if tt.coql {
					status, body := c.coql("select id from Leads where id is not null limit 1")
					return status, body, ""
				}
				status, body, h := c.do("GET", "/crm/v8/Leads?fields=Email&per_page=1", nil, nil)
				return status, body, h.Get("Retry-After")
			})
			if got != tt.limited {
				t.Fatalf("%d of %d calls got 429, want %d", got, tt.calls, tt.limited)
			}
			if st := srv.Sim.Stats(); st.Throttled != int64(tt.limited) {
				t.Fatalf("stats count %d throttled calls", st.Throttled)
			}
		})
	}
}

func TestCreditBudget(t *testing.T) {
	clock := newClock()
	srv := startServer(t, Config{CreditsPerDay: 6, Now: clock.Now})
	c := newClient(t, srv)
	path := "/crm/v8/Leads?fields=Email&per_page=1"
	for i := range 6 {
		status, body, h := c.do("GET", path, nil, nil)
		if status != 200 {
			t.Fatalf("call %d: %d %s", i+1, status, body)
		}
		left := h.Get("X-API-CREDITS-REMAINING")
		if (i >= 3) != (left != "") { // the header appears once half is used
			t.Fatalf("call %d: X-API-CREDITS-REMAINING %q", i+1, left)
		}
	}
	status, body, h := c.do("GET", path, nil, nil)
	checkError(t, status, body, 429, "TOO_MANY_REQUESTS", nil)
	if h.Get("Retry-After") != "" {
		t.Fatal("429 with Retry-After")
	}
	clock.advance(23 * time.Hour)
	c.refresh()
	if status, _ := c.get(path, nil); status != 429 {
		t.Fatalf("budget refilled before 24 h: %d", status)
	}
	clock.advance(time.Hour + time.Minute)
	c.refresh()
	if status, body := c.get(path, nil); status != 200 {
		t.Fatalf("budget not refilled after 24 h: %d %s", status, body)
	}
	if st := srv.Sim.Stats(); st.OutOfCredits != 2 {
		t.Fatalf("stats count %d calls out of credits, want 2", st.OutOfCredits)
	}
}

func TestEditionCredits(t *testing.T) {
	tests := []struct {
		edition string
		want    int
	}{
		{"free", 5000},
		{"standard", 60250},
		{"professional", 70500},
		{"enterprise", 91000},
		{"ultimate", 132000},
	}
	for _, tt := range tests {
		t.Run(tt.edition, func(t *testing.T) {
			s, err := New(Config{Edition: tt.edition})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Stats().CreditsBudget; got != tt.want {
				t.Fatalf("budget %d, want %d for 41 users", got, tt.want)
			}
		})
	}
}

func TestLatencyProfiles(t *testing.T) {
	tests := []struct {
		profile  string
		lo, hi   time.Duration
		nonZero  bool
		override Latency
	}{
		{"instant", 0, 0, false, Latency{}},
		{"zoho", 200 * time.Millisecond, 400 * time.Millisecond, true, Latency{}},
		{"instant", 5 * time.Millisecond, 10 * time.Millisecond, true,
			Latency{5 * time.Millisecond, 10 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			s, err := New(Config{Profile: tt.profile, Latency: tt.override})
			if err != nil {
				t.Fatal(err)
			}
			again, _ := New(Config{Profile: tt.profile, Latency: tt.override})
			var sum time.Duration
			for range 1000 {
				d := s.delay.next()
				if d < tt.lo || d > tt.hi || d != again.delay.next() {
					t.Fatalf("delay %v outside [%v, %v] or not seeded", d, tt.lo, tt.hi)
				}
				sum += d
			}
			if mean := sum / 1000; tt.nonZero && (mean < tt.lo+(tt.hi-tt.lo)/3 ||
				mean > tt.hi-(tt.hi-tt.lo)/3) {
				t.Fatalf("mean delay %v is not near the middle of the range", mean)
			}
		})
	}
	t.Run("a call waits", func(t *testing.T) {
		srv := startServer(t, Config{Profile: "zoho"})
		c := newClient(t, srv)
		start := time.Now()
		c.get("/crm/v8/settings/modules", nil)
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Fatalf("call took %v in the zoho profile", d)
		}
	})
}
