package zohosim

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
)

// Sim is a simulated Zoho CRM organisation: its dataset, its accounts server and its
// v8 API. It is safe for concurrent use.
type Sim struct {
	cfg    Config
	log    *slog.Logger
	auth   *authState
	lim    *limiter
	delay  *delayer
	faults *faultState
	key    []byte // signs page tokens
	stats  counters

	mu       sync.RWMutex // guards data and mutation counter; writers are mutations
	data     *dataset
	mutation int

	meta metadata // settings answers, built once
}

// counters are the running totals behind Stats.
type counters struct {
	calls, unauthorized, refreshes, refreshDenied     atomic.Int64
	throttled, outOfCredits, injected500, injected429 atomic.Int64
	malformed, records                                atomic.Int64
}

// Stats are running totals of what the simulator answered.
type Stats struct {
	// Calls counts API calls that passed authentication.
	Calls int64 `json:"calls"`
	// Unauthorized counts API calls answered 401.
	Unauthorized int64 `json:"unauthorized"`
	// Refreshes counts access tokens issued; RefreshDenied counts refused refreshes.
	Refreshes     int64 `json:"refreshes"`
	RefreshDenied int64 `json:"refresh_denied"`
	// Throttled counts 429s for the concurrency caps, OutOfCredits for the budget.
	Throttled    int64 `json:"throttled"`
	OutOfCredits int64 `json:"out_of_credits"`
	// Injected500 and Injected429 count injected faults; Malformed truncated pages.
	Injected500 int64 `json:"injected_500"`
	Injected429 int64 `json:"injected_429"`
	Malformed   int64 `json:"malformed"`
	// Records counts records sent by Get Records and COQL.
	Records int64 `json:"records"`
	// PeakInFlight is the most API calls that were in flight at once.
	PeakInFlight int `json:"peak_in_flight"`
	// CreditsLeft and CreditsBudget describe the rolling 24 h budget (0: unlimited).
	CreditsLeft   int `json:"credits_left"`
	CreditsBudget int `json:"credits_budget"`
}

// New builds a simulator: it validates cfg, applies defaults and indexes the dataset.
func New(cfg Config) (*Sim, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	zone, err := parseOffset(cfg.Offset)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s := &Sim{
		cfg:    cfg,
		log:    cfg.Logger,
		auth:   newAuthState(),
		delay:  newDelayer(cfg.latency(), cfg.Seed),
		faults: newFaultState(cfg.Faults, cfg.Seed),
		key:    key,
		data:   newDataset(cfg.Seed, cfg.Scale, zone),
	}
	users := s.data.users().n0
	s.lim = newLimiter(cfg.concurrency(), cfg.credits(users))
	s.meta = buildMetadata(s.data)
	return s, nil
}

// Handler returns the HTTP handler serving the token endpoint, the API and /_sim/.
func (s *Sim) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// Reset puts the dataset back to its generated state: mutations, creations and
// deletions are forgotten. Tokens, limits and statistics are kept.
func (s *Sim) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = newDataset(s.cfg.Seed, s.cfg.Scale, s.data.zone)
	s.mutation = 0
	s.log.Info("dataset reset")
}

// SetFaults replaces the injected faults; their counters start again.
func (s *Sim) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.faults.set(f)
	s.log.Info("faults set", "faults", fmt.Sprintf("%+v", f))
	return nil
}

// Faults returns the faults in force.
func (s *Sim) Faults() Faults { return s.faults.get() }

// ExpireTokens invalidates every access token now.
func (s *Sim) ExpireTokens() {
	s.auth.expireAll()
	s.log.Info("access tokens expired")
}

// Stats returns the running totals.
func (s *Sim) Stats() Stats {
	left, budget := s.lim.remaining(s.cfg.Now())
	c := &s.stats
	return Stats{
		Calls:         c.calls.Load(),
		Unauthorized:  c.unauthorized.Load(),
		Refreshes:     c.refreshes.Load(),
		RefreshDenied: c.refreshDenied.Load(),
		Throttled:     c.throttled.Load(),
		OutOfCredits:  c.outOfCredits.Load(),
		Injected500:   c.injected500.Load(),
		Injected429:   c.injected429.Load(),
		Malformed:     c.malformed.Load(),
		Records:       c.records.Load(),
		PeakInFlight:  s.lim.peakInFlight(),
		CreditsLeft:   left,
		CreditsBudget: budget,
	}
}

// Modules returns the API names of the record modules that have records at scale 1,
// in the order settings/modules lists them.
func (s *Sim) Modules() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, t := range s.data.tables[1:] {
		if t.m.base > 0 {
			out = append(out, t.m.api)
		}
	}
	return out
}
