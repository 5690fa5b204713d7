package trigger

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/app"
)

// APIKeyHeader is the header that carries the trigger's API key.
const APIKeyHeader = "X-API-Key"

// Routes adds the trigger's endpoints to mux. With an empty key the
// endpoints take any request; the caller decides whether that is allowed.
func (s *Service) Routes(mux *http.ServeMux, apiKey string, health app.HealthFunc) {
	auth := keyCheck(apiKey)
	mux.Handle("POST /api/v1/crm-sync", auth(http.HandlerFunc(s.handleTrigger)))
	mux.Handle("GET /api/v1/crm-sync/{run}", auth(http.HandlerFunc(s.handleStatus)))
	mux.HandleFunc("GET /api/v1/health", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		body := map[string]any{"status": "ok", "source": s.runner.Source()}
		if x := s.Current(); x != nil {
			body["running"] = x.ID
		}
		if err := health(ctx); err != nil {
			body["status"], body["error"] = "unhealthy", err.Error()
			writeJSON(w, http.StatusServiceUnavailable, body)
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
}

// keyCheck returns middleware that answers 401 unless X-API-Key equals key.
// The comparison takes the same time whatever the key sent.
func keyCheck(key string) func(http.Handler) http.Handler {
	want := sha256.Sum256([]byte(key))
	return func(next http.Handler) http.Handler {
		if key == "" {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got := sha256.Sum256([]byte(r.Header.Get(APIKeyHeader)))
			if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				writeJSON(w, http.StatusUnauthorized,
					map[string]string{"error": "missing or wrong " + APIKeyHeader})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// handleTrigger answers POST /api/v1/crm-sync[?mode=full|incremental]: 202
// with the run id, 409 while a run is in progress.
func (s *Service) handleTrigger(w http.ResponseWriter, r *http.Request) {
	mode := events.ModeIncremental
	if m := r.URL.Query().Get("mode"); m != "" {
		var err error
		if mode, err = events.ParseMode(m); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
	}
	x, err := s.Trigger(r.Context(), mode)
	switch {
	case errors.Is(err, ErrBusy):
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		return
	case errors.Is(err, ErrClosed):
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	case err != nil:
		s.log.Error("run not started", "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	s.log.Info("run triggered", "run", x.ID, "mode", mode, "by", "http")
	writeJSON(w, http.StatusAccepted, map[string]string{
		"run":    x.ID,
		"mode":   string(mode),
		"status": "/api/v1/crm-sync/" + x.ID,
	})
}

// handleStatus answers GET /api/v1/crm-sync/{run}.
func (s *Service) handleStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("run")
	if !events.ValidToken(id) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed run id"})
		return
	}
	st, err := s.Status(r.Context(), id)
	switch {
	case errors.Is(err, ErrUnknownRun):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusOK, st)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
