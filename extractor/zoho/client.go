package zoho

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"golang.org/x/oauth2"
)

// maxBody bounds a response body; a page of 200 records is far smaller.
const maxBody = 64 << 20

// APIVersion is the path prefix of every call.
const APIVersion = "/crm/v8"

// Client calls the Zoho CRM API of one organisation. It is safe for
// concurrent use; its token and its concurrency slots are shared by all
// callers, so one Client serves every run of a process.
type Client struct {
	cfg    Config
	tokens *TokenSource
	slots  *gate // a call holds one slot while its request is in flight
	heavy  *gate // and a heavy call one of these too
	conc   int
	usage  counters
}

// counters are the client's cumulative API usage.
type counters struct {
	calls, pages, retries, credits atomic.Int64
}

// Usage is the client's cumulative use of the API since it was created.
type Usage struct {
	// Calls counts HTTP calls, retried ones included.
	Calls int
	// Pages counts pages of records, users or deleted records read.
	Pages int
	// Retries counts calls repeated after a 429, a 5xx or a network error.
	Retries int
	// Credits estimates the API credits spent (1 per call, 2 for deleted
	// records).
	Credits int
	// Refreshes counts access tokens issued.
	Refreshes int
}

// Sub returns u minus earlier, the usage between two readings.
func (u Usage) Sub(earlier Usage) Usage {
	return Usage{
		Calls:     u.Calls - earlier.Calls,
		Pages:     u.Pages - earlier.Pages,
		Retries:   u.Retries - earlier.Retries,
		Credits:   u.Credits - earlier.Credits,
		Refreshes: u.Refreshes - earlier.Refreshes,
	}
}

// New returns a client for cfg. It makes no call: the first access token is
// fetched by the first call.
func New(cfg Config) (*Client, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Client{
		cfg:    cfg,
		tokens: NewTokenSource(cfg),
		slots:  newGate(cfg.concurrency()),
		heavy:  newGate(min(SubConcurrency, cfg.concurrency())),
		conc:   cfg.concurrency(),
	}, nil
}

// Concurrency reports the most calls the client makes at once.
func (c *Client) Concurrency() int { return c.conc }

// PerPage reports the page size the client asks for.
func (c *Client) PerPage() int { return c.cfg.PerPage }

// PageTokenLimit reports how many records one chain of page_token pages
// reaches (Config.PageTokenLimit).
func (c *Client) PageTokenLimit() int { return c.cfg.PageTokenLimit }

// Tokens returns the client's token source.
func (c *Client) Tokens() *TokenSource { return c.tokens }

// Usage returns the client's cumulative API usage.
func (c *Client) Usage() Usage {
	return Usage{
		Calls:     int(c.usage.calls.Load()),
		Pages:     int(c.usage.pages.Load()),
		Retries:   int(c.usage.retries.Load()),
		Credits:   int(c.usage.credits.Load()),
		Refreshes: c.tokens.Refreshes(),
	}
}

// call is one GET of the API, or one POST when it has a body.
type call struct {
	kind    string // modules, fields, records, deleted, users, coql: for hooks
	what    string // what it reads, for errors: "page 3 of Contacts"
	path    string // below APIVersion, e.g. "/Contacts"
	query   url.Values
	body    []byte    // a JSON body to POST, nil for a GET
	since   time.Time // If-Modified-Since when not zero
	credits int
	heavy   bool // counts toward the sub-concurrency limit
	// priority orders calls waiting for a slot: the pages still to read
	// after this one in its chain, 0 when unknown.
	priority int
}

// get performs a call with retries and returns its body, nil when the API
// answered 204 No Content or 304 Not Modified.
func (c *Client) get(ctx context.Context, cl call) ([]byte, error) {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     c.cfg.RetryInitial,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         c.cfg.RetryMax,
	}
	notify := func(err error, wait time.Duration) {
		c.usage.retries.Add(1)
		if c.cfg.Hooks.OnRetry != nil {
			c.cfg.Hooks.OnRetry(cl.kind, err, wait)
		}
	}
	op := func() ([]byte, error) {
		body, err := c.authorized(ctx, cl)
		if err != nil && !retryable(err) {
			return nil, backoff.Permanent(err)
		}
		return body, err
	}
	body, err := backoff.Retry(ctx, op, backoff.WithBackOff(b),
		backoff.WithMaxElapsedTime(c.cfg.RetryBudget), backoff.WithNotify(notify))
	if err != nil {
		if ctx.Err() == nil && retryable(err) {
			return nil, fmt.Errorf("reading %s after %s of retries: %w: %w",
				cl.what, c.cfg.RetryBudget, ErrRetryBudget, err)
		}
		return nil, fmt.Errorf("reading %s: %w", cl.what, err)
	}
	c.usage.credits.Add(int64(cl.credits))
	return body, nil
}

// authorized performs one attempt of a call and, when the API refuses the
// access token, one more with a refreshed token.
func (c *Client) authorized(ctx context.Context, cl call) ([]byte, error) {
	tok, err := c.tokens.TokenContext(ctx)
	if err != nil {
		return nil, err
	}
	body, err := c.attempt(ctx, cl, tok)
	var ae *APIError
	if !errors.As(err, &ae) || !ae.tokenRejected() {
		return body, err
	}
	if tok, err = c.tokens.Invalidate(ctx, tok); err != nil {
		return nil, err
	}
	return c.attempt(ctx, cl, tok)
}

// attempt sends one request while holding a concurrency slot.
func (c *Client) attempt(ctx context.Context, cl call, tok *oauth2.Token) ([]byte, error) {
	req, err := c.request(ctx, cl, tok)
	if err != nil {
		return nil, err
	}
	release, err := c.acquire(ctx, cl)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	status, body, err := c.send(req)
	release()
	c.usage.calls.Add(1)
	if c.cfg.Hooks.OnCall != nil {
		c.cfg.Hooks.OnCall(cl.kind, status, time.Since(start))
	}
	if err != nil {
		return nil, err
	}
	switch {
	case status == http.StatusNoContent || status == http.StatusNotModified:
		return nil, nil
	case status >= 200 && status < 300:
		if len(body) == 0 {
			return nil, nil
		}
		return body, nil
	}
	return nil, newAPIError(cl.what, status, body)
}

// acquire takes a concurrency slot, and a heavy one first for a heavy call,
// and returns the function that gives them back.
func (c *Client) acquire(ctx context.Context, cl call) (func(), error) {
	if cl.heavy {
		if err := c.heavy.acquire(ctx, cl.priority); err != nil {
			return nil, err
		}
	}
	if err := c.slots.acquire(ctx, cl.priority); err != nil {
		if cl.heavy {
			c.heavy.release()
		}
		return nil, err
	}
	return func() {
		c.slots.release()
		if cl.heavy {
			c.heavy.release()
		}
	}, nil
}

// request builds the HTTP request of a call.
func (c *Client) request(ctx context.Context, cl call, tok *oauth2.Token) (*http.Request, error) {
	u := c.baseURL() + APIVersion + cl.path
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}
	method, body := http.MethodGet, io.Reader(nil)
	if cl.body != nil {
		method, body = http.MethodPost, bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("building request for %s: %w", cl.what, err)
	}
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Zoho-oauthtoken "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	if !cl.since.IsZero() {
		req.Header.Set("If-Modified-Since", FormatTime(cl.since))
	}
	return req, nil
}

// send performs a request and reads its whole body. Errors name the
// request's path but never its headers.
func (c *Client) send(req *http.Request) (int, []byte, error) {
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n < maxBody {
		buf.Grow(int(n) + bytes.MinRead) // read once into the right size
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxBody)); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("reading response body: %w", err)
	}
	return resp.StatusCode, buf.Bytes(), nil
}

// baseURL is the configured API URL, else the token's api_domain, else the
// data centre's API domain.
func (c *Client) baseURL() string {
	if c.cfg.APIURL != "" {
		return c.cfg.defaultAPIURL()
	}
	if d := c.tokens.APIDomain(); d != "" {
		return d
	}
	return c.cfg.defaultAPIURL()
}

// retryable reports whether err may go away when the call is repeated: a
// 429 or 5xx answer, or a network error.
func retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Retryable()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, ErrToken) || errors.Is(err, ErrMalformed) {
		return false
	}
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// zohoTime is the layout of If-Modified-Since and of Zoho's timestamps: ISO
// 8601 to the second with a numeric offset (never "Z").
const zohoTime = "2006-01-02T15:04:05-07:00"

// FormatTime formats t as Zoho writes times, in UTC: 2024-05-10T08:10:47+00:00.
func FormatTime(t time.Time) string {
	return t.UTC().Format(zohoTime)
}

// ParseTime reads a Zoho timestamp such as 2019-01-24T16:36:18+05:30.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parsing time %q: %w", s, err)
	}
	return t, nil
}
