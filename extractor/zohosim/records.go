package zohosim

import (
	"net/http"
	"strconv"
	"sync"
)

// bufPool recycles response buffers; a wide 200-record page is a few hundred KB.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256<<10); return &b }}

// recordTable returns the table of a record module the API serves, or nil.
func (d *dataset) recordTable(api string) *table {
	t := d.byAPI[api]
	if t == nil || t.no == 0 || !t.m.supported {
		return nil
	}
	return t
}

// handleRecords answers GET /crm/v8/{module}: Get Records.
func (s *Sim) handleRecords(c *call, api string) *apiError {
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	status, body, err := s.listRecords(c.r, api, (*buf)[:0])
	if err != nil {
		return err
	}
	if status == http.StatusOK && s.faults.malformed(api) {
		s.stats.malformed.Add(1)
		body = body[:len(body)/2]
	}
	c.reply(status, body)
	if cap(body) > cap(*buf) {
		*buf = body[:0]
	}
	return nil
}

// listRecords builds the answer to a Get Records call into b, under the read lock.
func (s *Sim) listRecords(r *http.Request, api string, b []byte) (int, []byte, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.data
	t := d.recordTable(api)
	if t == nil {
		return 0, nil, errInvalidModule()
	}
	q, err := s.parseList(r, t)
	if err != nil {
		return 0, nil, err
	}
	if q.since != noSince && t.latest() <= q.since {
		return http.StatusNotModified, nil, nil
	}
	if q.ids != nil {
		return s.recordsByID(t, q, b)
	}
	sc := &scan{t: t, ord: q.ord, from: cursor{start: true}, since: q.since}
	var tok pageToken
	skip := 0
	if q.token != "" {
		if tok, err = s.openToken(q.token, q.bind); err != nil {
			return 0, nil, err
		}
		sc.from = tok.cur
	} else if q.page > 0 {
		skip = (q.page - 1) * q.perPage
	}
	served := skip + int(sc.from.served)
	idxs, more := sc.page(skip, q.perPage)
	if len(idxs) == 0 {
		return http.StatusNoContent, nil, nil
	}
	s.stats.records.Add(int64(len(idxs)))
	b = append(b, `{"data":[`...)
	for i, idx := range idxs {
		if i > 0 {
			b = append(b, ',')
		}
		b = d.appendRecord(b, t, int(idx), q.cols, true)
	}
	b = append(b, `],"info":`...)
	b = s.appendInfo(b, q, sc, tok, idxs, served, more, skip == 0)
	return http.StatusOK, append(b, '}'), nil
}

// appendInfo appends the info object of a Get Records page, with the tokens to the
// next and previous pages.
// knowStart says whether the page started at sc.from, so that the next page can lead
// back to it (page-number requests start elsewhere).
func (s *Sim) appendInfo(b []byte, q *listQuery, sc *scan, tok pageToken, idxs []int32,
	served int, more, knowStart bool) []byte {
	b = append(b, `{"per_page":`...)
	b = strconv.AppendInt(b, int64(q.perPage), 10)
	b = append(b, `,"next_page_token":`...)
	ttl := s.faults.tokenTTL(s.cfg.PageTokenTTL)
	exp := s.cfg.Now().Add(ttl)
	if more {
		next := pageToken{
			expires: exp.UnixMilli(),
			bind:    q.bind,
			cur:     sc.cursorAt(idxs[len(idxs)-1], served+len(idxs)),
			prev:    sc.from,
			hasPrv:  knowStart,
		}
		b = strconv.AppendQuote(b, next.encode(s.key))
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, int64(len(idxs)), 10)
	b = append(b, `,"sort_by":"`...)
	b = append(b, q.sortBy...)
	b = append(b, `","page":`...)
	b = strconv.AppendInt(b, int64(served/q.perPage+1), 10)
	b = append(b, `,"previous_page_token":`...)
	if tok.hasPrv {
		prev := pageToken{expires: exp.UnixMilli(), bind: q.bind, cur: tok.prev}
		b = strconv.AppendQuote(b, prev.encode(s.key))
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"page_token_expiry":`...)
	if more {
		b = strconv.AppendQuote(b, s.data.formatTime(exp))
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"sort_order":"`...)
	b = append(b, q.sortOrder...)
	b = append(b, `","more_records":`...)
	b = strconv.AppendBool(b, more)
	return append(b, '}')
}

// openToken checks a page_token against the request and returns it.
func (s *Sim) openToken(raw string, bind uint64) (pageToken, *apiError) {
	tok, err := decodeToken(raw, s.key)
	if err != nil {
		return tok, errInvalidParam("page_token", nil)
	}
	if s.cfg.Now().UnixMilli() >= tok.expires || s.faults.useToken(raw) {
		return tok, errTokenExpired()
	}
	if tok.bind != bind {
		return tok, errTokenMismatch()
	}
	if int(tok.cur.served) >= s.cfg.PageTokenLimit {
		return tok, errPaginationLimit()
	}
	return tok, nil
}

// recordsByID answers a Get Records call with an ids parameter.
func (s *Sim) recordsByID(t *table, q *listQuery, b []byte) (int, []byte, *apiError) {
	b = append(b, `{"data":[`...)
	n := 0
	for _, id := range q.ids {
		idx, ok := s.data.lookupID(t, id)
		if !ok || t.mod[idx] <= q.since {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = s.data.appendRecord(b, t, idx, q.cols, true)
		n++
	}
	if n == 0 {
		return http.StatusNoContent, nil, nil
	}
	b = append(b, `],"info":{"per_page":`...)
	b = strconv.AppendInt(b, int64(q.perPage), 10)
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"page":1,"more_records":false}}`...)
	return http.StatusOK, b, nil
}

// handleRecord answers GET /crm/v8/{module}/{id}: one record, all fields unless the
// fields parameter narrows them; 204 when there is no such live record.
func (s *Sim) handleRecord(c *call, api, id string) *apiError {
	s.mu.RLock()
	t := s.data.recordTable(api)
	if t == nil {
		s.mu.RUnlock()
		return errInvalidModule()
	}
	cols, err := parseFields(c.r.URL.Query(), t, false)
	if err != nil {
		s.mu.RUnlock()
		return err
	}
	idx, ok := s.data.lookupID(t, id)
	var body []byte
	if ok {
		body = append([]byte(`{"data":[`), s.data.appendRecord(nil, t, idx, cols, true)...)
		body = append(body, "]}"...)
	}
	s.mu.RUnlock()
	if !ok {
		c.reply(http.StatusNoContent, nil)
		return nil
	}
	c.reply(http.StatusOK, body)
	return nil
}

// appendRecord appends record idx of t as a JSON object with the columns cols and
// its id; meta adds the record-level $ keys.
func (d *dataset) appendRecord(b []byte, t *table, idx int, cols []*field, meta bool) []byte {
	r := d.row(t, idx, false)
	b = append(b, '{')
	for _, f := range cols {
		b = append(b, f.key...)
		b = d.appendValue(b, &r, f)
		b = append(b, ',')
	}
	if meta {
		b = append(b, t.meta...)
	}
	b = append(b, `"id":`...)
	b = d.appendID(b, t.m.num, idx)
	return append(b, '}')
}
