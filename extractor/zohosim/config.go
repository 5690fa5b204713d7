package zohosim

import (
	"fmt"
	"log/slog"
	"time"
)

// Config configures a simulator. The zero value is usable: every field has a default,
// applied by New, and New rejects values it cannot run with ErrInvalidConfig.
type Config struct {
	// Seed makes the dataset: the same seed and scale give the same records. 0 means 1.
	Seed int64
	// Scale multiplies every record count; 1 (the default) is 58,741 records.
	Scale int
	// Edition sets the concurrency cap and the daily credits: free, standard,
	// professional, enterprise (default) or ultimate.
	Edition string
	// Profile is the latency profile: "instant" (default, no delay) or "zoho"
	// (200 to 400 ms a call, uniform).
	Profile string
	// Latency, when Max > 0, replaces the profile's delay: uniform in [Min, Max].
	Latency Latency

	// ClientID, ClientSecret and RefreshToken are the credentials the token endpoint
	// accepts. Defaults: "sim", "sim" and "sim-refresh".
	ClientID, ClientSecret, RefreshToken string
	// TokenTTL is the access tokens' lifetime (expires_in). Default 3600 s.
	TokenTTL time.Duration
	// RefreshLimit is how many tokens one refresh token may get per RefreshWindow
	// before the endpoint answers "Access Denied". Default 10; negative: no limit.
	RefreshLimit int
	// RefreshWindow is the rolling window of RefreshLimit. Default 10 minutes.
	RefreshWindow time.Duration

	// Offset is the organisation's UTC offset used in every timestamp. Default "+05:30".
	Offset string
	// CreditsPerDay is the rolling 24-hour API credit budget. 0 means the edition's
	// allowance for the organisation's users; negative means unlimited.
	CreditsPerDay int
	// PageTokenTTL is how long a page_token stays valid. Default 24 hours.
	PageTokenTTL time.Duration
	// PageTokenLimit is how many records one page_token walk reaches: a token to a
	// page after that many answers PAGINATION_LIMIT_EXCEEDED. Default 100,000, Zoho's
	// limit; tests lower it to cross the limit with a small dataset.
	PageTokenLimit int
	// NoCOQLScope grants tokens without ZohoCRM.coql.READ: the token response's scope
	// leaves it out and COQL answers 401 OAUTH_SCOPE_MISMATCH, as Zoho does.
	NoCOQLScope bool

	// APIDomain is the api_domain the token endpoint returns. Default: the scheme and
	// host the token request came to, so one address serves accounts and API.
	APIDomain string
	// Addr is the address NewServer listens on. Default "127.0.0.1:0".
	Addr string

	// Faults are injected from the start; SetFaults changes them at run time.
	Faults Faults
	// Now is the clock. Default time.Now. It must not run before 2025-01-01, the end
	// of the generated history.
	Now func() time.Time
	// Logger receives debug lines per call and info lines for admin actions.
	// Default: discard.
	Logger *slog.Logger
}

// Latency is a uniform per-call delay in [Min, Max].
type Latency struct {
	Min, Max time.Duration
}

// edition holds the documented limits of a Zoho CRM edition.
type edition struct {
	concurrency int
	base        int // credits
	perUser     int // credits per user license
	cap         int // 0: no cap
}

// editions are Zoho's API limits per edition.
var editions = map[string]edition{
	"free":         {concurrency: 5, base: 5000, cap: 5000},
	"standard":     {concurrency: 10, base: 50000, perUser: 250, cap: 100000},
	"professional": {concurrency: 15, base: 50000, perUser: 500, cap: 3000000},
	"enterprise":   {concurrency: 20, base: 50000, perUser: 1000, cap: 5000000},
	"ultimate":     {concurrency: 25, base: 50000, perUser: 2000},
}

// subConcurrency is the cap on heavy calls (COQL, sort_by, cvid) in every edition.
const subConcurrency = 10

// profiles are the latency profiles by name.
var profiles = map[string]Latency{
	"instant": {},
	"zoho":    {Min: 200 * time.Millisecond, Max: 400 * time.Millisecond},
}

// withDefaults returns c with every unset field given its default.
func (c Config) withDefaults() Config {
	if c.Seed == 0 {
		c.Seed = 1
	}
	c.Scale = max(c.Scale, 1)
	c.Edition = cmpOr(c.Edition, "enterprise")
	c.Profile = cmpOr(c.Profile, "instant")
	c.ClientID = cmpOr(c.ClientID, "sim")
	c.ClientSecret = cmpOr(c.ClientSecret, "sim")
	c.RefreshToken = cmpOr(c.RefreshToken, "sim-refresh")
	c.TokenTTL = cmpOr(c.TokenTTL, time.Hour)
	c.RefreshLimit = cmpOr(c.RefreshLimit, 10)
	c.RefreshWindow = cmpOr(c.RefreshWindow, 10*time.Minute)
	c.Offset = cmpOr(c.Offset, "+05:30")
	c.PageTokenTTL = cmpOr(c.PageTokenTTL, 24*time.Hour)
	c.PageTokenLimit = cmpOr(c.PageTokenLimit, maxTokenRecords)
	c.Addr = cmpOr(c.Addr, "127.0.0.1:0")
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// cmpOr returns v, or def when v is the zero value.
func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// validate reports the first setting c cannot run with.
func (c Config) validate() error {
	if _, ok := editions[c.Edition]; !ok {
		return fmt.Errorf("%w: Edition %q: want one of free, standard, professional, "+
			"enterprise, ultimate", ErrInvalidConfig, c.Edition)
	}
	if _, ok := profiles[c.Profile]; !ok {
		return fmt.Errorf("%w: Profile %q: want instant or zoho", ErrInvalidConfig, c.Profile)
	}
	if c.Latency.Min < 0 || c.Latency.Max < c.Latency.Min {
		return fmt.Errorf("%w: Latency %v..%v: want 0 <= Min <= Max",
			ErrInvalidConfig, c.Latency.Min, c.Latency.Max)
	}
	if _, err := parseOffset(c.Offset); err != nil {
		return fmt.Errorf("%w: Offset: %w", ErrInvalidConfig, err)
	}
	if c.Scale > 500 {
		return fmt.Errorf("%w: Scale %d: want 1 to 500", ErrInvalidConfig, c.Scale)
	}
	if c.PageTokenLimit < 1 {
		return fmt.Errorf("%w: PageTokenLimit %d: want 1 or more (default 100,000)",
			ErrInvalidConfig, c.PageTokenLimit)
	}
	if c.TokenTTL < time.Second || c.PageTokenTTL < time.Second {
		return fmt.Errorf("%w: TokenTTL and PageTokenTTL must be at least 1s", ErrInvalidConfig)
	}
	return c.Faults.validate()
}

// parseOffset parses a UTC offset such as "+05:30" into a fixed zone.
func parseOffset(s string) (*time.Location, error) {
	t, err := time.Parse("-07:00", s)
	if err != nil {
		return nil, fmt.Errorf("parsing UTC offset %q (want like +05:30): %w", s, err)
	}
	_, off := t.Zone()
	return time.FixedZone(s, off), nil
}

// concurrency returns the edition's cap on calls in flight.
func (c Config) concurrency() int { return editions[c.Edition].concurrency }

// credits returns the daily credit budget for users licences; 0 means unlimited.
func (c Config) credits(users int) int {
	if c.CreditsPerDay < 0 {
		return 0
	}
	if c.CreditsPerDay > 0 {
		return c.CreditsPerDay
	}
	e := editions[c.Edition]
	n := e.base + e.perUser*users
	if e.cap > 0 {
		n = min(n, e.cap)
	}
	return n
}

// latency returns the delay range the configuration asks for.
func (c Config) latency() Latency {
	if c.Latency.Max > 0 {
		return c.Latency
	}
	return profiles[c.Profile]
}
