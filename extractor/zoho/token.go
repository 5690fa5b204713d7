package zoho

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// defaultTokenLife is assumed when a token response has no expires_in.
const defaultTokenLife = time.Hour

// tokenTimeout bounds one refresh call to the accounts server.
const tokenTimeout = 30 * time.Second

// TokenSource issues access tokens from a refresh token. It caches the
// token and refreshes it RefreshBefore its expiry, never per call; concurrent
// callers share one refresh. It implements oauth2.TokenSource.
type TokenSource struct {
	conf   oauth2.Config
	client *http.Client
	early  time.Duration
	hook   func(error)

	mu        sync.Mutex // guards the fields below; held during a refresh
	tok       *oauth2.Token
	margin    time.Duration // refresh when less than this is left
	apiDomain string
	refreshes int
}

// NewTokenSource returns the TokenSource of cfg, which must be valid.
func NewTokenSource(cfg Config) *TokenSource {
	cfg.setDefaults()
	return &TokenSource{
		conf: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint: oauth2.Endpoint{
				TokenURL:  cfg.accountsURL() + "/oauth/v2/token",
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
		client: cfg.HTTPClient,
		early:  cfg.RefreshBefore,
		hook:   cfg.Hooks.OnRefresh,
		tok:    &oauth2.Token{RefreshToken: cfg.RefreshToken},
	}
}

// Token returns a valid access token, refreshing it when it is missing or
// about to expire. It implements oauth2.TokenSource.
func (s *TokenSource) Token() (*oauth2.Token, error) {
	return s.TokenContext(context.Background())
}

// TokenContext is Token with a context for the refresh call.
func (s *TokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.AccessToken != "" && time.Until(s.tok.Expiry) > s.margin {
		return s.tok, nil
	}
	return s.refreshLocked(ctx)
}

// Invalidate refreshes the token if bad is still the current one: the API
// refused it. Callers that failed with the same token share one refresh.
func (s *TokenSource) Invalidate(ctx context.Context, bad *oauth2.Token) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.AccessToken != bad.AccessToken && s.tok.AccessToken != "" {
		return s.tok, nil
	}
	return s.refreshLocked(ctx)
}

// APIDomain returns the api_domain of the last token response, or "".
func (s *TokenSource) APIDomain() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apiDomain
}

// Refreshes reports how many times an access token was issued.
func (s *TokenSource) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

func (s *TokenSource) refreshLocked(ctx context.Context) (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(ctx, tokenTimeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client)
	seed := &oauth2.Token{RefreshToken: s.tok.RefreshToken}
	t, err := s.conf.TokenSource(ctx, seed).Token()
	if err == nil {
		err = checkIssued(t)
	}
	if s.hook != nil {
		s.hook(err)
	}
	if err != nil {
		return nil, tokenError(err)
	}
	if t.Expiry.IsZero() {
		t.Expiry = time.Now().Add(defaultTokenLife)
	}
	// A token that lives shorter than the configured margin is used for
	// three quarters of its life rather than refreshed on every call.
	s.margin = min(s.early, time.Until(t.Expiry)/4)
	if t.RefreshToken == "" {
		t.RefreshToken = seed.RefreshToken // Zoho does not return it on refresh
	}
	if d, ok := t.Extra("api_domain").(string); ok {
		s.apiDomain = strings.TrimRight(d, "/")
	}
	s.tok = t
	s.refreshes++
	return t, nil
}

// checkIssued refuses a response that carries an error key next to a token,
// whatever its HTTP status: Zoho reports token errors with status 200.
func checkIssued(t *oauth2.Token) error {
	if e, ok := t.Extra("error").(string); ok && e != "" {
		return &oauth2.RetrieveError{ErrorCode: e}
	}
	return nil
}

// tokenError turns a refresh error into an ErrToken error that names Zoho's
// error code and the HTTP status but never the request, which holds the
// client secret and the refresh token.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		code := re.ErrorCode
		if code == "" {
			code = "no error code"
		}
		if re.ErrorDescription != "" {
			code += ": " + re.ErrorDescription
		}
		return fmt.Errorf("refreshing access token: status %d: %s: %w", status, code, ErrToken)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("refreshing access token: %w", err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// A transport error, worth retrying. It quotes the token URL, which
		// holds no secret: they travel in the form body.
		return fmt.Errorf("refreshing access token: %w", err)
	}
	return fmt.Errorf("refreshing access token: %s: %w", scrub(err.Error()), ErrToken)
}

// scrub cuts everything after "Response:", where oauth2 quotes a body.
func scrub(s string) string {
	if i := strings.Index(s, "Response:"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}
