package zohosim

import (
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Limits of Get Records.
const (
	maxFields       = 50      // API names in one fields parameter
	maxPerPage      = 200     // records per page
	maxDiscrete     = 2000    // records reachable with page
	maxTokenRecords = 100_000 // records reachable with page_token (Config.PageTokenLimit)
	maxIDs          = 100     // ids in one ids parameter
)

// listQuery is a parsed Get Records request.
type listQuery struct {
	cols      []*field
	perPage   int
	page      int // 0 when the request had no page parameter
	token     string
	ord       order
	sortBy    string
	sortOrder string
	since     int64 // noSince without If-Modified-Since
	ids       []string
	bind      uint64 // hash of the parameters a page token is bound to
}

// parseList validates the parameters of a Get Records call for table t.
func (s *Sim) parseList(r *http.Request, t *table) (*listQuery, *apiError) {
	v := r.URL.Query()
	q := &listQuery{since: noSince}
	var err *apiError
	if q.cols, err = parseFields(v, t, true); err != nil {
		return nil, err
	}
	if q.perPage, err = intParam(v, "per_page", maxPerPage, 1, maxPerPage); err != nil {
		return nil, err
	}
	if q.page, err = intParam(v, "page", 0, 1, 1<<30); err != nil {
		return nil, err
	}
	q.token = v.Get("page_token")
	if v.Has("page") && v.Has("page_token") {
		return nil, errAmbiguous("page", "page_token")
	}
	if v.Has("cvid") && v.Has("sort_by") {
		return nil, errAmbiguous("cvid", "sort_by")
	}
	if err = q.parseSort(v); err != nil {
		return nil, err
	}
	if err = q.parseFlags(v); err != nil {
		return nil, err
	}
	if q.since, err = parseSince(r.Header.Get("If-Modified-Since")); err != nil {
		return nil, err
	}
	if q.page*q.perPage > maxDiscrete {
		return nil, errDiscretePagination()
	}
	if ids := v.Get("ids"); ids != "" {
		q.ids = strings.Split(ids, ",")
		if len(q.ids) > maxIDs {
			return nil, errInvalidParam("ids", map[string]any{"limit": maxIDs})
		}
	}
	q.bind = bindHash(t.m.api, v.Get("fields"), q.perPage, q.sortBy, q.sortOrder,
		q.since, v.Get("converted"), v.Get("approved"), v.Get("cvid"))
	return q, nil
}

// parseFields reads the fields parameter: required for lists, at most 50 names, every
// one a field of the module.
func parseFields(v url.Values, t *table, required bool) ([]*field, *apiError) {
	raw := v.Get("fields")
	if raw == "" {
		if required {
			return nil, errParamMissing("fields")
		}
		return t.m.fields, nil
	}
	names := strings.Split(raw, ",")
	if len(names) > maxFields {
		return nil, errFieldsLimit()
	}
	want := make(map[*field]bool, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "id" {
			continue
		}
		f := t.m.byAPI[n]
		if f == nil {
			return nil, errInvalidParam("fields", map[string]any{"api_name": n})
		}
		want[f] = true
	}
	cols := make([]*field, 0, len(want))
	for _, f := range t.m.fields { // module order, like Zoho
		if want[f] {
			cols = append(cols, f)
		}
	}
	return cols, nil
}

// intParam reads an integer parameter in [lo, hi], or def when absent.
func intParam(v url.Values, name string, def, lo, hi int) (int, *apiError) {
	if !v.Has(name) {
		return def, nil
	}
	n, err := strconv.Atoi(v.Get(name))
	if err != nil || n < lo || n > hi {
		return 0, errInvalidParam(name, map[string]any{"minimum": lo, "maximum": hi})
	}
	return n, nil
}

// parseSort reads sort_by (id, Created_Time, Modified_Time; default id) and
// sort_order (asc, desc; default desc).
func (q *listQuery) parseSort(v url.Values) *apiError {
	q.sortBy, q.sortOrder = cmpOr(v.Get("sort_by"), "id"), cmpOr(v.Get("sort_order"), "desc")
	switch q.sortBy {
	case "id", "Created_Time":
	case "Modified_Time":
		q.ord.byMod = true
	default:
		return errInvalidParam("sort_by", map[string]any{
			"supported_values": []string{"id", "Created_Time", "Modified_Time"}})
	}
	switch q.sortOrder {
	case "asc":
	case "desc":
		q.ord.desc = true
	default:
		return errInvalidParam("sort_order", map[string]any{
			"supported_values": []string{"asc", "desc"}})
	}
	return nil
}

// parseFlags checks converted and approved (true, false or both). Every simulated
// record is unconverted and approved, which is what the defaults return.
func (q *listQuery) parseFlags(v url.Values) *apiError {
	for _, name := range []string{"converted", "approved"} {
		switch v.Get(name) {
		case "", "true", "false", "both":
		default:
			return errInvalidParam(name, map[string]any{
				"supported_values": []string{"true", "false", "both"}})
		}
	}
	return nil
}

// parseSince parses an If-Modified-Since header: ISO 8601 with an offset (as Zoho
// documents) or an HTTP date. It returns noSince for an empty header.
func parseSince(h string) (int64, *apiError) {
	if h == "" {
		return noSince, nil
	}
	t, err := time.Parse(time.RFC3339, h)
	if err != nil {
		if t, err = http.ParseTime(h); err != nil {
			return 0, &apiError{http.StatusBadRequest, "INVALID_DATA", "invalid data",
				map[string]any{"header_name": "If-Modified-Since"}}
		}
	}
	return t.Unix(), nil
}

// bindHash hashes the parameters a page token is bound to.
func bindHash(module, fields string, perPage int, sortBy, sortOrder string, since int64,
	extra ...string) uint64 {
	h := fnv.New64a()
	parts := append([]string{module, fields, strconv.Itoa(perPage), sortBy, sortOrder,
		strconv.FormatInt(since, 10)}, extra...)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}
