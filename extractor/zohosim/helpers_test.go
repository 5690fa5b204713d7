package zohosim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

// newClock returns a clock at 2026-03-01 10:00:00 UTC.
func newClock() *testClock {
	return &testClock{now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// startServer starts a simulator server for the test and closes it at the end.
func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("starting the simulator: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// client is a minimal Zoho API client for tests.
type client struct {
	t     *testing.T
	base  string
	token string
}

// newClient returns a client with a fresh access token.
func newClient(t *testing.T, srv *Server) *client {
	t.Helper()
	c := &client{t: t, base: srv.URL}
	c.refresh()
	return c
}

// refresh gets a new access token.
func (c *client) refresh() {
	c.t.Helper()
	status, body, _ := c.do(http.MethodPost, "/oauth/v2/token?grant_type=refresh_token"+
		"&client_id=sim&client_secret=sim&refresh_token=sim-refresh", nil, nil)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		c.t.Fatalf("refreshing the token: %d %s", status, body)
	}
	c.token = tok.AccessToken
}

// do sends a request and returns status, body and headers.
func (c *client) do(method, path string, body io.Reader, hdr map[string]string) (
	int, []byte, http.Header) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Zoho-oauthtoken "+c.token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// get sends a GET with optional headers.
func (c *client) get(path string, hdr map[string]string) (int, []byte) {
	c.t.Helper()
	status, body, _ := c.do(http.MethodGet, path, nil, hdr)
	return status, body
}

// coql posts a COQL query.
func (c *client) coql(query string) (int, []byte) {
	c.t.Helper()
	b, _ := json.Marshal(map[string]string{"select_query": query})
	status, body, _ := c.do(http.MethodPost, "/crm/v8/coql", bytes.NewReader(b), nil)
	return status, body
}

// page is a decoded Get Records answer.
type page struct {
	Data []map[string]any `json:"data"`
	Info map[string]any   `json:"info"`
}

// decodePage decodes a page, failing the test on bad JSON.
func decodePage(t *testing.T, body []byte) page {
	t.Helper()
	var p page
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("decoding page: %v: %.200s", err, body)
	}
	return p
}

// zohoError is Zoho's error body.
type zohoError struct {
	Code    string         `json:"code"`
	Details map[string]any `json:"details"`
	Message string         `json:"message"`
	Status  string         `json:"status"`
}

// checkError asserts an error answer's status, code and details (a subset).
func checkError(t *testing.T, status int, body []byte, wantStatus int, wantCode string,
	wantDetails map[string]any) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status = %d, want %d: %s", status, wantStatus, body)
	}
	var e zohoError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("decoding error body: %v: %s", err, body)
	}
	if e.Code != wantCode || e.Status != "error" || e.Message == "" || e.Details == nil {
		t.Fatalf("error = %+v, want code %s in Zoho's shape", e, wantCode)
	}
	for k, v := range wantDetails {
		got, _ := json.Marshal(e.Details[k])
		want, _ := json.Marshal(v)
		if !bytes.Equal(got, want) {
			t.Errorf("details[%s] = %s, want %s", k, got, want)
		}
	}
}

// fieldList returns n field names of a module as a fields parameter.
func fieldList(s *Sim, module string, n int) string {
	var names []string
	for _, f := range s.data.byAPI[module].m.fields[:n] {
		names = append(names, f.api)
	}
	return url.QueryEscape(strings.Join(names, ","))
}
