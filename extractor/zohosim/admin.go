package zohosim

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// serveAdmin answers the /_sim/ endpoints, which need no OAuth token:
//
//	GET  /_sim/counts             Counts
//	GET  /_sim/stats              Stats
//	POST /_sim/mutate             body MutateSpec, answers Changes
//	POST /_sim/reset              back to the generated dataset
//	GET  /_sim/faults             the faults in force
//	PUT  /_sim/faults             body Faults (page_token_ttl as "30s"), replaces them
//	POST /_sim/tokens/expire      invalidates every access token now
//	GET  /_sim/records/{module}   every live record, one JSON object per line
//	GET  /_sim/links              every relationship value, one Link per line
func (s *Sim) serveAdmin(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/_sim/")
	switch {
	case r.Method == http.MethodGet && path == "counts":
		writeJSON(w, http.StatusOK, s.Counts())
	case r.Method == http.MethodGet && path == "stats":
		writeJSON(w, http.StatusOK, s.Stats())
	case r.Method == http.MethodPost && path == "mutate":
		s.adminMutate(w, r)
	case r.Method == http.MethodPost && path == "reset":
		s.Reset()
		writeJSON(w, http.StatusOK, map[string]string{"status": "success"})
	case r.Method == http.MethodGet && path == "faults":
		writeJSON(w, http.StatusOK, faultsWire(s.Faults()))
	case r.Method == http.MethodPut && path == "faults":
		s.adminFaults(w, r)
	case r.Method == http.MethodPost && path == "tokens/expire":
		s.ExpireTokens()
		writeJSON(w, http.StatusOK, map[string]string{"status": "success"})
	case r.Method == http.MethodGet && strings.HasPrefix(path, "records/"):
		s.adminRecords(w, strings.TrimPrefix(path, "records/"))
	case r.Method == http.MethodGet && path == "links":
		s.adminLinks(w)
	default:
		errURLPattern().write(w)
	}
}

// adminError answers an admin call that failed.
func adminError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"status": "error", "message": err.Error()})
}

// adminMutate answers POST /_sim/mutate.
func (s *Sim) adminMutate(w http.ResponseWriter, r *http.Request) {
	var spec MutateSpec
	if err := json.NewDecoder(r.Body).Decode(&spec); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	ch, err := s.Mutate(spec)
	if err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, ch)
}

// wireFaults is Faults as the admin API reads and writes it: durations as strings.
type wireFaults struct {
	Faults
	PageTokenTTL string `json:"page_token_ttl,omitempty"`
}

// faultsWire converts faults to their admin form.
func faultsWire(f Faults) wireFaults {
	w := wireFaults{Faults: f}
	if f.PageTokenTTL > 0 {
		w.PageTokenTTL = f.PageTokenTTL.String()
	}
	return w
}

// adminFaults answers PUT /_sim/faults.
func (s *Sim) adminFaults(w http.ResponseWriter, r *http.Request) {
	var in wireFaults
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	f := in.Faults
	if in.PageTokenTTL != "" {
		d, err := time.ParseDuration(in.PageTokenTTL)
		if err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
		f.PageTokenTTL = d
	}
	if err := s.SetFaults(f); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, faultsWire(f))
}

// adminRecords streams every live record of a module as JSON lines.
func (s *Sim) adminRecords(w http.ResponseWriter, module string) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	err := s.EachRecord(module, func(rec map[string]any) error { return enc.Encode(rec) })
	if errors.Is(err, ErrUnknownModule) {
		adminError(w, http.StatusNotFound, err)
		return
	}
	_ = bw.Flush()
}

// adminLinks streams every relationship value as JSON lines.
func (s *Sim) adminLinks(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	_ = s.EachLink(func(l Link) error { return enc.Encode(l) })
	_ = bw.Flush()
}
