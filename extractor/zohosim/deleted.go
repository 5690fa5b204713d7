package zohosim

import (
	"net/http"
	"strconv"
)

// handleDeleted answers GET /crm/v8/{module}/deleted: the deleted-records feed, newest
// first, filtered by type (all, recycle, permanent) and If-Modified-Since (on
// deleted_time; 304 when nothing was deleted since), paged by page and per_page.
// It costs 2 credits.
func (s *Sim) handleDeleted(c *call, api string) *apiError {
	c.credit = 2
	v := c.r.URL.Query()
	typ := cmpOr(v.Get("type"), "all")
	if typ != "all" && typ != "recycle" && typ != "permanent" {
		return errInvalidParam("type", map[string]any{
			"supported_values": []string{"all", "recycle", "permanent"}})
	}
	perPage, err := intParam(v, "per_page", maxPerPage, 1, maxPerPage)
	if err != nil {
		return err
	}
	page, err := intParam(v, "page", 1, 1, 1<<30)
	if err != nil {
		return err
	}
	since, err := parseSince(c.r.Header.Get("If-Modified-Since"))
	if err != nil {
		return err
	}
	s.mu.RLock()
	t := s.data.recordTable(api)
	if t == nil {
		s.mu.RUnlock()
		return errInvalidModule()
	}
	status, body := s.deletedPage(t, typ, page, perPage, since)
	s.mu.RUnlock()
	c.reply(status, body)
	return nil
}

// deletedPage builds a Get Deleted Records answer. The caller holds the read lock.
func (s *Sim) deletedPage(t *table, typ string, page, perPage int, since int64) (int, []byte) {
	var match []int
	for i := len(t.feed) - 1; i >= 0; i-- { // the feed is in deletion order
		e := t.feed[i]
		if e.at > since && (typ == "all" || (typ == "permanent") == e.perm) {
			match = append(match, i)
		}
	}
	if since != noSince && len(match) == 0 {
		return http.StatusNotModified, nil
	}
	start := min((page-1)*perPage, len(match))
	end := min(start+perPage, len(match))
	if start == end {
		return http.StatusNoContent, nil
	}
	b := []byte(`{"data":[`)
	for i, fi := range match[start:end] {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.data.appendDeletion(b, t, t.feed[fi])
	}
	b = append(b, `],"info":{"per_page":`...)
	b = strconv.AppendInt(b, int64(perPage), 10)
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, int64(end-start), 10)
	b = append(b, `,"page":`...)
	b = strconv.AppendInt(b, int64(page), 10)
	b = append(b, `,"more_records":`...)
	b = strconv.AppendBool(b, end < len(match))
	return http.StatusOK, append(b, "}}"...)
}

// appendDeletion appends one entry of the deleted-records feed.
func (d *dataset) appendDeletion(b []byte, t *table, e deletion) []byte {
	num, h := t.m.num, key2(t.hash, uint64(e.idx))
	if e.prior {
		num += numPrior
	}
	b = append(b, `{"id":`...)
	b = d.appendID(b, num, int(e.idx))
	b = append(b, `,"display_name":`...)
	if e.prior {
		b = appendPhrase(b, h)
	} else {
		b = d.appendName(b, t, int(e.idx))
	}
	b = append(b, `,"type":"`...)
	if e.perm {
		b = append(b, "permanent"...)
	} else {
		b = append(b, "recycle"...)
	}
	b = append(b, `","deleted_by":`...)
	b = d.appendUserRef(b, int(e.by))
	b = append(b, `,"created_by":`...)
	b = d.appendUserRef(b, pick(key2(h, 1), d.users().n0))
	b = append(b, `,"deleted_time":`...)
	b = d.appendTime(b, e.at)
	return append(b, '}')
}

// appendUserRef appends {"name","id"} of user u.
func (d *dataset) appendUserRef(b []byte, u int) []byte {
	b = append(b, `{"name":`...)
	b = d.appendUserName(b, u)
	b = append(b, `,"id":`...)
	b = d.appendID(b, 1, u)
	return append(b, '}')
}
