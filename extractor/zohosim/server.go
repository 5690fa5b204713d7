package zohosim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// apiPrefix is the path prefix of the simulated API version.
const apiPrefix = "/crm/v8/"

// call is one API call on its way through the middleware to its handler.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	credit int // credits charged when the answer is a success
	status int // status the handler answered
}

// handlerFunc serves one API route. It writes success answers itself and returns an
// *apiError for the middleware to write.
type handlerFunc func(c *call) *apiError

// serve routes a request: token endpoint, admin API, or CRM API.
func (s *Sim) serve(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == "/oauth/v2/token":
		s.serveToken(w, r)
	case strings.HasPrefix(p, "/_sim/"):
		s.serveAdmin(w, r)
	case strings.HasPrefix(p, apiPrefix):
		s.serveAPI(w, r, strings.TrimPrefix(p, apiPrefix))
	case strings.HasPrefix(p, "/crm/v"):
		s.serveAPIWith(w, r, false, func(*call) *apiError { return errAPIVersion() })
	default:
		errURLPattern().write(w)
	}
}

// serveAPI finds the route of an API path and runs it through the middleware.
func (s *Sim) serveAPI(w http.ResponseWriter, r *http.Request, path string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	method, h := s.route(parts)
	if h == nil {
		errURLPattern().write(w)
		return
	}
	if r.Method != method {
		errMethod().write(w)
		return
	}
	heavy := method == http.MethodPost || r.URL.Query().Has("sort_by") ||
		r.URL.Query().Has("cvid")
	s.serveAPIWith(w, r, heavy, h)
}

// route returns the method and handler of an API path, or a nil handler.
func (s *Sim) route(parts []string) (string, handlerFunc) {
	get := http.MethodGet
	switch {
	case len(parts) == 2 && parts[0] == "settings" && parts[1] == "modules":
		return get, s.handleModules
	case len(parts) == 2 && parts[0] == "settings" && parts[1] == "fields":
		return get, s.handleFields
	case len(parts) == 1 && parts[0] == "users":
		return get, s.handleUsers
	case len(parts) == 1 && parts[0] == "coql":
		return http.MethodPost, s.handleCOQL
	case len(parts) == 1 && parts[0] != "" && parts[0] != "settings":
		return get, func(c *call) *apiError { return s.handleRecords(c, parts[0]) }
	case len(parts) == 2 && parts[1] == "deleted":
		return get, func(c *call) *apiError { return s.handleDeleted(c, parts[0]) }
	case len(parts) == 2 && parts[0] != "settings":
		return get, func(c *call) *apiError { return s.handleRecord(c, parts[0], parts[1]) }
	}
	return "", nil
}

// serveAPIWith is the API middleware: authentication, token-expiry faults, the
// concurrency and credit limits, latency, injected errors, then the handler, and the
// credit charge for a successful answer.
func (s *Sim) serveAPIWith(w http.ResponseWriter, r *http.Request, heavy bool,
	h handlerFunc) {
	now := s.cfg.Now()
	if err := s.auth.check(r.Header.Get("Authorization"), now); err != nil {
		s.stats.unauthorized.Add(1)
		err.write(w)
		return
	}
	expire, injected := s.faults.onCall()
	if expire {
		s.ExpireTokens()
		s.stats.unauthorized.Add(1)
		errInvalidToken().write(w)
		return
	}
	s.stats.calls.Add(1)
	ok, reason := s.lim.acquire(heavy, now)
	if !ok {
		s.countThrottle(reason)
		errTooMany().write(w)
		return
	}
	defer s.lim.release(heavy)

	if err := s.delay.wait(r.Context()); err != nil {
		return // the client went away
	}
	if injected != nil {
		s.countInjected(injected)
		injected.write(w)
		return
	}
	if left, budget := s.lim.remaining(now); budget > 0 && left*2 <= budget {
		w.Header().Set("X-API-CREDITS-REMAINING", strconv.Itoa(max(left, 0)))
	}
	c := &call{w: w, r: r, credit: 1}
	if err := h(c); err != nil {
		err.write(w)
		c.status = err.status
	}
	if c.status < 400 {
		s.lim.charge(c.credit, now)
	}
	s.log.Debug("api call", "method", r.Method, "path", r.URL.Path, "status", c.status)
}

// countThrottle counts a 429 by its reason.
func (s *Sim) countThrottle(reason string) {
	if reason == "credits" {
		s.stats.outOfCredits.Add(1)
		return
	}
	s.stats.throttled.Add(1)
}

// countInjected counts an injected fault.
func (s *Sim) countInjected(e *apiError) {
	if e.status == http.StatusTooManyRequests {
		s.stats.injected429.Add(1)
		return
	}
	s.stats.injected500.Add(1)
}

// reply writes a success answer for a call.
func (c *call) reply(status int, body []byte) {
	c.status = status
	if body == nil {
		c.w.WriteHeader(status)
		return
	}
	writeBody(c.w, status, body)
}

// Server is a simulator listening on a local address, in the manner of httptest.
type Server struct {
	// URL is the base URL, e.g. "http://127.0.0.1:40123", for accounts and API alike.
	URL string
	// Sim is the simulator the server serves.
	Sim *Sim

	srv *http.Server
	ln  net.Listener
	end chan error
}

// NewServer builds a simulator from cfg and serves it on cfg.Addr.
func NewServer(cfg Config) (*Server, error) {
	sim, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return sim.Listen(sim.cfg.Addr)
}

// Listen serves the simulator on addr until the returned server is closed.
func (s *Sim) Listen(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := &Server{
		URL: "http://" + ln.Addr().String(),
		Sim: s,
		srv: &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second},
		ln:  ln,
		end: make(chan error, 1),
	}
	go func() { srv.end <- srv.srv.Serve(ln) }()
	return srv, nil
}

// Shutdown stops accepting calls and waits for those in flight, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutting down the simulator: %w", err)
	}
	if err := <-s.end; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving the simulator: %w", err)
	}
	return nil
}

// Close stops the server at once, dropping calls in flight.
func (s *Server) Close() error {
	if err := s.srv.Close(); err != nil {
		return fmt.Errorf("closing the simulator: %w", err)
	}
	<-s.end
	return nil
}
