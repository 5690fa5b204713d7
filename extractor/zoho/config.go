package zoho

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MaxFields is the most fields Get Records accepts in one call.
const MaxFields = 50

// MaxPerPage is the most records Get Records returns in one page.
const MaxPerPage = 200

// MaxTokenRecords is how many records one chain of page_token pages
// reaches: Zoho answers PAGINATION_LIMIT_EXCEEDED past them.
const MaxTokenRecords = 100_000

// SubConcurrency is the most heavy calls (Get Records with sort_by or cvid,
// COQL, ...) Zoho allows in flight in every edition.
const SubConcurrency = 10

// editionConcurrency is the number of simultaneous calls Zoho allows an
// organisation per application, by edition (zoho-api.md, section 7).
var editionConcurrency = map[string]int{
	"free":         5,
	"standard":     10,
	"professional": 15,
	"enterprise":   20,
	"ultimate":     25,
}

// EditionConcurrency returns the concurrency limit of an edition, or false
// when the edition is unknown. "starter" is read as standard and
// "zohoone" as enterprise.
func EditionConcurrency(edition string) (int, bool) {
	e := strings.ToLower(strings.TrimSpace(edition))
	switch e {
	case "starter":
		e = "standard"
	case "zohoone", "zoho_one", "zoho-one":
		e = "enterprise"
	case "crmplus", "crm_plus", "crm-plus":
		e = "ultimate"
	}
	n, ok := editionConcurrency[e]
	return n, ok
}

// Config configures a Client.
type Config struct {
	// ClientID is the OAuth client id of the Zoho API console client.
	ClientID string
	// ClientSecret is the OAuth client secret.
	ClientSecret string
	// RefreshToken is the long-lived refresh token the access tokens are
	// taken from.
	RefreshToken string
	// DataCenter names the organisation's data centre (com, eu, in, com.au,
	// jp, ca, sa, com.cn, uk). Default com.
	DataCenter string
	// AccountsURL overrides the data centre's accounts server.
	AccountsURL string
	// APIURL overrides the API domain of the token response.
	APIURL string
	// Edition is the organisation's CRM edition (free, standard,
	// professional, enterprise, ultimate); it sets the default concurrency.
	// Default professional.
	Edition string
	// Concurrency is the most calls in flight at once. Zero means the
	// edition's limit.
	Concurrency int
	// PerPage is the number of records asked for per page, 1 to 200.
	// Default 200.
	PerPage int
	// PageTokenLimit is how many records one chain of page_token pages
	// reaches before Zoho answers PAGINATION_LIMIT_EXCEEDED: 100,000 (the
	// default). Reads go on past it with a new chain (keyset.go); tests
	// lower it together with the simulator's. At least PerPage.
	PageTokenLimit int
	// RetryBudget bounds the total time one call may spend being retried.
	// Default 2m.
	RetryBudget time.Duration
	// RetryInitial is the first backoff interval. Default 500ms.
	RetryInitial time.Duration
	// RetryMax caps one backoff interval. Default 30s.
	RetryMax time.Duration
	// RefreshBefore is how long before its expiry the access token is
	// replaced. Default 5m.
	RefreshBefore time.Duration
	// HTTPClient makes the calls. Default: a client with a 60s timeout.
	HTTPClient *http.Client
	// Hooks are told about calls, retries and token refreshes.
	Hooks Hooks
}

// Hooks are callbacks the client makes so that its caller can count and log
// what it does; the client itself never logs. Each may be nil and must be
// safe for concurrent use.
type Hooks struct {
	// OnCall is called after every API call with its kind (modules, fields,
	// records, deleted, users, coql), the HTTP status (0 when no response came)
	// and how long it took.
	OnCall func(kind string, status int, took time.Duration)
	// OnRetry is called before a call is retried after wait.
	OnRetry func(kind string, err error, wait time.Duration)
	// OnRefresh is called after every access token refresh, with its error.
	OnRefresh func(err error)
}

func (c *Config) setDefaults() {
	if c.DataCenter == "" {
		c.DataCenter = "com"
	}
	if c.Edition == "" {
		c.Edition = "professional"
	}
	if c.PerPage == 0 {
		c.PerPage = MaxPerPage
	}
	if c.PageTokenLimit == 0 {
		c.PageTokenLimit = MaxTokenRecords
	}
	if c.RetryBudget == 0 {
		c.RetryBudget = 2 * time.Minute
	}
	if c.RetryInitial == 0 {
		c.RetryInitial = 500 * time.Millisecond
	}
	if c.RetryMax == 0 {
		c.RetryMax = 30 * time.Second
	}
	if c.RefreshBefore == 0 {
		c.RefreshBefore = 5 * time.Minute
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
}

// Validate reports the first setting that is missing or out of range;
// zero values stand for their defaults.
func (c Config) Validate() error {
	c.setDefaults()
	for _, s := range []struct{ name, v string }{
		{"client id", c.ClientID},
		{"client secret", c.ClientSecret},
		{"refresh token", c.RefreshToken},
	} {
		if strings.TrimSpace(s.v) == "" {
			return fmt.Errorf("%s is empty: %w", s.name, ErrConfig)
		}
	}
	if c.AccountsURL == "" {
		if _, err := LookupDataCenter(c.DataCenter); err != nil {
			return err
		}
	} else if err := checkURL("accounts URL", c.AccountsURL); err != nil {
		return err
	}
	if c.APIURL != "" {
		if err := checkURL("API URL", c.APIURL); err != nil {
			return err
		}
	}
	if _, ok := EditionConcurrency(c.Edition); !ok {
		return fmt.Errorf("edition %q: want free, standard, professional, enterprise "+
			"or ultimate: %w", c.Edition, ErrConfig)
	}
	if c.Concurrency < 0 {
		return fmt.Errorf("concurrency %d: want 0 (the edition's) or more: %w",
			c.Concurrency, ErrConfig)
	}
	if c.PerPage < 1 || c.PerPage > MaxPerPage {
		return fmt.Errorf("per page %d: want 1 to %d: %w", c.PerPage, MaxPerPage, ErrConfig)
	}
	if c.PageTokenLimit < c.PerPage {
		return fmt.Errorf("page token limit %d: want at least the page size, %d: %w",
			c.PageTokenLimit, c.PerPage, ErrConfig)
	}
	if c.RetryBudget < 0 || c.RetryInitial < 0 || c.RetryMax < 0 || c.RefreshBefore < 0 {
		return fmt.Errorf("retry and refresh durations must not be negative: %w", ErrConfig)
	}
	return nil
}

// concurrency returns the effective concurrency limit.
func (c *Config) concurrency() int {
	if c.Concurrency > 0 {
		return c.Concurrency
	}
	n, _ := EditionConcurrency(c.Edition)
	return n
}

// accountsURL returns the accounts server to refresh tokens at.
func (c *Config) accountsURL() string {
	if c.AccountsURL != "" {
		return strings.TrimRight(c.AccountsURL, "/")
	}
	dc, _ := LookupDataCenter(c.DataCenter)
	return dc.AccountsURL
}

// defaultAPIURL is the API domain used when the token response has none.
func (c *Config) defaultAPIURL() string {
	if c.APIURL != "" {
		return strings.TrimRight(c.APIURL, "/")
	}
	if dc, err := LookupDataCenter(c.DataCenter); err == nil {
		return dc.APIURL
	}
	return ""
}

func checkURL(name, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want an http or https URL: %w", name, s, ErrConfig)
	}
	return nil
}

// String describes the configuration without its credentials.
func (c Config) String() string {
	return fmt.Sprintf("zoho.Config{DataCenter:%q AccountsURL:%q APIURL:%q Edition:%q "+
		"Concurrency:%d ClientID:%s ClientSecret:%s RefreshToken:%s}",
		c.DataCenter, c.AccountsURL, c.APIURL, c.Edition, c.Concurrency,
		redact(c.ClientID), redact(c.ClientSecret), redact(c.RefreshToken))
}

// GoString is String, so that %#v does not print credentials either.
func (c Config) GoString() string { return c.String() }

// LogValue logs the configuration without its credentials.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("data_centre", c.DataCenter),
		slog.String("accounts_url", c.AccountsURL),
		slog.String("api_url", c.APIURL),
		slog.String("edition", c.Edition),
		slog.Int("concurrency", c.concurrency()),
		slog.String("client_id", redact(c.ClientID)),
		slog.String("client_secret", redact(c.ClientSecret)),
		slog.String("refresh_token", redact(c.RefreshToken)),
	)
}

// redact says whether a credential is set, never what it is.
func redact(s string) string {
	if s == "" {
		return "unset"
	}
	return "set"
}
