package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestProbe checks the exit codes the images' HEALTHCHECK relies on.
func TestProbe(t *testing.T) {
	status := func(code int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(code)
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/health"
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/health"
	_ = ln.Close()

	cases := []struct {
		name string
		args []string
		want int
	}{
		{"ok", []string{status(http.StatusOK)}, exitHealthy},
		{"no_content", []string{status(http.StatusNoContent)}, exitHealthy},
		{"unhealthy", []string{status(http.StatusServiceUnavailable)}, exitUnhealthy},
		{"not_found", []string{status(http.StatusNotFound)}, exitUnhealthy},
		{"refused", []string{closed}, exitUnhealthy},
		{"timeout", []string{"-timeout", "200ms", slow.URL}, exitUnhealthy},
		{"no_url", nil, exitUsage},
		{"not_http", []string{"ftp://127.0.0.1/x"}, exitUsage},
		{"two_urls", []string{"http://a/", "http://b/"}, exitUsage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := run(c.args, io.Discard); got != c.want {
				t.Errorf("probe %v = %d, want %d", c.args, got, c.want)
			}
		})
	}
}
