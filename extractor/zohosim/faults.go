package zohosim

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Faults are the failures the simulator injects into API calls (not into the token
// endpoint or /_sim/). Random choices come from a generator seeded by Config.Seed.
type Faults struct {
	// ErrorRate is the share of API calls answered 500 INTERNAL_ERROR.
	ErrorRate float64 `json:"error_rate"`
	// TooManyRate is the share of API calls answered 429 TOO_MANY_REQUESTS (a storm).
	TooManyRate float64 `json:"too_many_rate"`
	// MalformedModule and MalformedPage make the MalformedPage-th Get Records call of
	// that module (counted from when the fault was set, from 1) answer 200 with a
	// truncated JSON body. It fires once.
	MalformedModule string `json:"malformed_module,omitempty"`
	MalformedPage   int    `json:"malformed_page,omitempty"`
	// ExpireTokensAfter invalidates every access token once, after that many further
	// API calls: the next call answers 401 INVALID_TOKEN until the client refreshes.
	ExpireTokensAfter int `json:"expire_tokens_after,omitempty"`
	// PageTokenMaxUses makes a page_token expire (400 EXPIRED_VALUE) after that many
	// uses; 0 means unlimited.
	PageTokenMaxUses int `json:"page_token_max_uses,omitempty"`
	// PageTokenTTL, when positive, replaces Config.PageTokenTTL for tokens issued from
	// then on.
	PageTokenTTL time.Duration `json:"page_token_ttl,omitempty"`
}

// validate reports a fault setting out of range.
func (f Faults) validate() error {
	if f.ErrorRate < 0 || f.ErrorRate > 1 || f.TooManyRate < 0 || f.TooManyRate > 1 {
		return fmt.Errorf("%w: fault rates must be between 0 and 1", ErrInvalidConfig)
	}
	if f.MalformedPage < 0 || f.ExpireTokensAfter < 0 || f.PageTokenMaxUses < 0 ||
		f.PageTokenTTL < 0 {
		return fmt.Errorf("%w: fault counts and durations must not be negative",
			ErrInvalidConfig)
	}
	if (f.MalformedModule == "") != (f.MalformedPage == 0) {
		return fmt.Errorf("%w: MalformedModule and MalformedPage go together",
			ErrInvalidConfig)
	}
	return nil
}

// faultState applies Faults and counts toward the counted ones.
type faultState struct {
	mu        sync.Mutex
	f         Faults
	rnd       *rand.Rand
	pages     int // Get Records calls of MalformedModule since the fault was set
	calls     int // API calls since ExpireTokensAfter was set
	tokenUses map[string]int
}

// newFaultState returns the fault state for f, seeded by seed.
func newFaultState(f Faults, seed int64) *faultState {
	return &faultState{
		f:         f,
		rnd:       rand.New(rand.NewPCG(uint64(seed), 0x5eed)),
		tokenUses: map[string]int{},
	}
}

// set replaces the faults and restarts their counters.
func (s *faultState) set(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f, s.pages, s.calls = f, 0, 0
	clear(s.tokenUses)
}

// get returns the current faults.
func (s *faultState) get() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f
}

// onCall decides the fate of one API call: whether every token expires now, and an
// injected error answer, if any.
func (s *faultState) onCall() (expireTokens bool, injected *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f.ExpireTokensAfter > 0 {
		s.calls++
		if s.calls > s.f.ExpireTokensAfter {
			s.f.ExpireTokensAfter, s.calls = 0, 0
			expireTokens = true
		}
	}
	if s.f.TooManyRate > 0 && s.rnd.Float64() < s.f.TooManyRate {
		return expireTokens, errTooMany()
	}
	if s.f.ErrorRate > 0 && s.rnd.Float64() < s.f.ErrorRate {
		return expireTokens, errInternal()
	}
	return expireTokens, nil
}

// malformed reports whether this Get Records call of module should be truncated.
func (s *faultState) malformed(module string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f.MalformedModule != module || s.f.MalformedPage == 0 {
		return false
	}
	s.pages++
	if s.pages < s.f.MalformedPage {
		return false
	}
	s.f.MalformedModule, s.f.MalformedPage, s.pages = "", 0, 0
	return true
}

// useToken counts one use of a page token and reports whether it is used up.
func (s *faultState) useToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f.PageTokenMaxUses == 0 {
		return false
	}
	s.tokenUses[tok]++
	return s.tokenUses[tok] > s.f.PageTokenMaxUses
}

// tokenTTL returns the lifetime for new page tokens: the fault's, or def.
func (s *faultState) tokenTTL(def time.Duration) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cmpOr(s.f.PageTokenTTL, def)
}
