package zohosim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTokenEndpoint(t *testing.T) {
	srv := startServer(t, Config{RefreshLimit: -1})
	c := &client{t: t, base: srv.URL}
	good := url.Values{"grant_type": {"refresh_token"}, "client_id": {"sim"},
		"client_secret": {"sim"}, "refresh_token": {"sim-refresh"}}
	with := func(k, v string) url.Values {
		u := url.Values{}
		for kk, vv := range good {
			u[kk] = vv
		}
		u.Set(k, v)
		return u
	}
	tests := []struct {
		name      string
		method    string
		params    url.Values
		inBody    bool
		status    int
		wantError string
	}{
		{"query string", "POST", good, false, 200, ""},
		{"form body", "POST", good, true, 200, ""},
		{"bad refresh token", "POST", with("refresh_token", "nope"), false, 200, "invalid_code"},
		{"wrong client id", "POST", with("client_id", "nope"), false, 200, "invalid_client"},
		{"wrong client secret", "POST", with("client_secret", "x"), true, 200, "invalid_client"},
		{"other grant", "POST", with("grant_type", "password"), false, 200,
			"unsupported_grant_type"},
		{"GET", "GET", good, false, 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, body, hdr := "/oauth/v2/token?"+tt.params.Encode(), "", map[string]string{}
			if tt.inBody {
				path, body = "/oauth/v2/token", tt.params.Encode()
				hdr["Content-Type"] = "application/x-www-form-urlencoded"
			}
			status, resp, _ := c.do(tt.method, path, strings.NewReader(body), hdr)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, resp)
			}
			var got map[string]any
			if err := json.Unmarshal(resp, &got); err != nil {
				t.Fatalf("body %s: %v", resp, err)
			}
			switch {
			case tt.status != 200:
			case tt.wantError != "":
				if got["error"] != tt.wantError {
					t.Fatalf("error = %v, want %s", got["error"], tt.wantError)
				}
			default:
				if got["token_type"] != "Bearer" || got["expires_in"] != 3600.0 ||
					got["api_domain"] != srv.URL || got["access_token"] == "" {
					t.Fatalf("token answer %v", got)
				}
			}
		})
	}
}

func TestRefreshRateLimit(t *testing.T) {
	clock := newClock()
	srv := startServer(t, Config{Now: clock.Now})
	c := &client{t: t, base: srv.URL}
	for range 10 {
		c.refresh()
	}
	status, body, _ := c.do("POST", "/oauth/v2/token?grant_type=refresh_token&client_id=sim"+
		"&client_secret=sim&refresh_token=sim-refresh", nil, nil)
	var got map[string]string
	_ = json.Unmarshal(body, &got)
	want := map[string]string{"error": "Access Denied", "status": "failure",
		"error_description": "You have made too many requests continuously. " +
			"Please try again after some time."}
	if status != 400 || len(got) != 3 || got["error"] != want["error"] ||
		got["status"] != want["status"] || got["error_description"] != want["error_description"] {
		t.Fatalf("11th refresh: %d %s", status, body)
	}
	clock.advance(10 * time.Minute)
	c.refresh() // the window has rolled on
	if st := srv.Sim.Stats(); st.Refreshes != 11 || st.RefreshDenied != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAPIAuthentication(t *testing.T) {
	clock := newClock()
	srv := startServer(t, Config{Now: clock.Now, TokenTTL: time.Minute, RefreshLimit: -1})
	c := newClient(t, srv)
	live := c.token
	tests := []struct {
		name   string
		header string
		code   string
	}{
		{"no header", "", "AUTHENTICATION_FAILURE"},
		{"Bearer prefix", "Bearer " + live, "AUTHENTICATION_FAILURE"},
		{"unknown token", "Zoho-oauthtoken 1000.abc.def", "INVALID_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &client{t: t, base: srv.URL}
			hdr := map[string]string{}
			if tt.header != "" {
				hdr["Authorization"] = tt.header
			}
			status, body := c.get("/crm/v8/settings/modules", hdr)
			checkError(t, status, body, http.StatusUnauthorized, tt.code, nil)
		})
	}
	t.Run("expired token", func(t *testing.T) {
		if status, body := c.get("/crm/v8/settings/modules", nil); status != 200 {
			t.Fatalf("live token refused: %d %s", status, body)
		}
		clock.advance(time.Minute)
		status, body := c.get("/crm/v8/settings/modules", nil)
		checkError(t, status, body, http.StatusUnauthorized, "INVALID_TOKEN", nil)
	})
	t.Run("31st token evicts the oldest", func(t *testing.T) {
		c.refresh()
		oldest := c.token
		for range maxLiveTokens {
			c.refresh()
		}
		c.token = oldest
		status, body := c.get("/crm/v8/settings/modules", nil)
		checkError(t, status, body, http.StatusUnauthorized, "INVALID_TOKEN", nil)
	})
}
