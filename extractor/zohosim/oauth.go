package zohosim

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxLiveTokens is how many access tokens one refresh token may have alive; a new one
// past that invalidates the oldest.
const maxLiveTokens = 30

// authState issues and checks access tokens.
type authState struct {
	mu        sync.Mutex
	tokens    map[string]time.Time // access token -> expiry; guarded by mu
	order     []string             // live tokens, oldest first; guarded by mu
	refreshes []time.Time          // successful refreshes in the window; guarded by mu
}

// newAuthState returns an empty token store.
func newAuthState() *authState {
	return &authState{tokens: map[string]time.Time{}}
}

// serveToken answers POST /oauth/v2/token: the refresh-token grant, with its
// parameters in the query string or a form body.
func (s *Sim) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		errMethod().write(w)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusOK, map[string]string{"error": "invalid_request"})
		return
	}
	status, body := s.refresh(r.Form.Get("grant_type"), r.Form.Get("client_id"),
		r.Form.Get("client_secret"), r.Form.Get("refresh_token"))
	if status != http.StatusOK || body["error"] != nil {
		s.stats.refreshDenied.Add(1)
		writeJSON(w, status, body)
		return
	}
	body["api_domain"] = s.apiDomain(r)
	s.stats.refreshes.Add(1)
	writeJSON(w, status, body)
}

// refresh runs the refresh-token grant and returns the status and body to answer.
// Token errors answer 200 with an "error" key, as Zoho's accounts server does.
func (s *Sim) refresh(grant, clientID, secret, refresh string) (int, map[string]any) {
	switch {
	case grant != "refresh_token":
		return http.StatusOK, map[string]any{"error": "unsupported_grant_type"}
	case clientID != s.cfg.ClientID || secret != s.cfg.ClientSecret:
		return http.StatusOK, map[string]any{"error": "invalid_client"}
	case refresh != s.cfg.RefreshToken:
		return http.StatusOK, map[string]any{"error": "invalid_code"}
	}
	token, ok := s.auth.issue(s.cfg.Now(), s.cfg.TokenTTL, s.cfg.RefreshLimit,
		s.cfg.RefreshWindow)
	if !ok {
		return http.StatusBadRequest, map[string]any{
			"error": "Access Denied",
			"error_description": "You have made too many requests continuously. " +
				"Please try again after some time.",
			"status": "failure",
		}
	}
	scope := "ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.users.READ"
	if !s.cfg.NoCOQLScope {
		scope += " ZohoCRM.coql.READ"
	}
	return http.StatusOK, map[string]any{
		"access_token": token,
		"scope":        scope,
		"expires_in":   int(s.cfg.TokenTTL / time.Second),
		"token_type":   "Bearer",
	}
}

// apiDomain returns the api_domain for a token response.
func (s *Sim) apiDomain(r *http.Request) string {
	if s.cfg.APIDomain != "" {
		return s.cfg.APIDomain
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// issue creates an access token unless the refresh limit is reached.
func (a *authState) issue(now time.Time, ttl time.Duration, limit int,
	window time.Duration) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	recent := a.refreshes[:0]
	for _, t := range a.refreshes {
		if now.Sub(t) < window {
			recent = append(recent, t)
		}
	}
	a.refreshes = recent
	if limit >= 0 && len(a.refreshes) >= limit {
		return "", false
	}
	a.refreshes = append(a.refreshes, now)
	token := newAccessToken()
	a.tokens[token] = now.Add(ttl)
	a.order = append(a.order, token)
	for len(a.order) > maxLiveTokens {
		delete(a.tokens, a.order[0])
		a.order = a.order[1:]
	}
	return token, true
}

// newAccessToken returns a token shaped like Zoho's ("1000.<hex>.<hex>").
func newAccessToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "1000." + hex.EncodeToString(b[:16]) + "." + hex.EncodeToString(b[16:])
}

// check answers nil for a live token, or the 401 to send.
func (a *authState) check(header string, now time.Time) *apiError {
	token, ok := strings.CutPrefix(header, "Zoho-oauthtoken ")
	if !ok || token == "" {
		return errAuthFailure()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.tokens[token]
	if !ok || !now.Before(exp) {
		return errInvalidToken()
	}
	return nil
}

// expireAll invalidates every access token.
func (a *authState) expireAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.tokens)
	a.order = nil
}
