package zohosim

import (
	"net/http"
	"strconv"
)

// Users are generated like records, from (seed, index). A user is disabled when its
// index is 13 mod 14; user 0 is the administrator who owns the organisation.

// userNames returns the first and last name indexes of user u.
func (d *dataset) userNames(u int) (first, last int) {
	h := d.users().recHash(u)
	return pick(h, firstNames.n()), pick(mix(h), lastNames.n())
}

// appendUserName appends user u's quoted full name.
func (d *dataset) appendUserName(b []byte, u int) []byte {
	first, last := d.userNames(u)
	b = append(b, '"')
	b = append(b, firstNames.inner[first]...)
	b = append(b, ' ')
	b = append(b, lastNames.inner[last]...)
	return append(b, '"')
}

// appendUserEmail appends user u's quoted e-mail address.
func (d *dataset) appendUserEmail(b []byte, u int) []byte {
	first, _ := d.userNames(u)
	b = append(b, '"')
	b = append(b, slugs.inner[first%slugs.n()]...)
	b = strconv.AppendInt(b, int64(u+1), 10)
	return append(b, `@zylker.com"`...)
}

// appendUser appends a user lookup value {"name","id","email"}.
func (d *dataset) appendUser(b []byte, u int) []byte {
	b = append(b, `{"name":`...)
	b = d.appendUserName(b, u)
	b = append(b, `,"id":`...)
	b = d.appendID(b, 1, u)
	b = append(b, `,"email":`...)
	b = d.appendUserEmail(b, u)
	return append(b, '}')
}

// userActive reports whether user u is active.
func userActive(u int) bool { return u%14 != 13 }

// roles are the users' roles; user 0 has the first.
var roles = []string{"CEO", "Manager", "Sales Representative"}

// appendUserRecord appends user u as Get Users returns it.
func (d *dataset) appendUserRecord(b []byte, u int) []byte {
	t := d.users()
	first, last := d.userNames(u)
	role, profile, prof := 2, "Standard", 1
	if u%5 == 0 {
		role = 1
	}
	if u == 0 {
		role, profile, prof = 0, "Administrator", 0
	}
	status := "active"
	if !userActive(u) {
		status = "disabled"
	}
	b = append(b, `{"country":"IN","language":"en_US","locale":"en_IN",`...)
	b = append(b, `"time_zone":"Asia/Kolkata","time_format":"hh:mm a",`...)
	b = append(b, `"date_format":"MMM d, yyyy","first_name":`...)
	b = append(b, firstNames.quoted[first]...)
	b = append(b, `,"last_name":`...)
	b = append(b, lastNames.quoted[last]...)
	b = append(b, `,"full_name":`...)
	b = d.appendUserName(b, u)
	b = append(b, `,"email":`...)
	b = d.appendUserEmail(b, u)
	b = append(b, `,"phone":`...)
	b = appendPhone(b, mix(t.recHash(u)))
	b = append(b, `,"status":"`...)
	b = append(b, status...)
	b = append(b, `","confirm":true,"role":{"name":"`...)
	b = append(b, roles[role]...)
	b = append(b, `","id":`...)
	b = d.appendID(b, numRoleMeta, role)
	b = append(b, `},"profile":{"name":"`...)
	b = append(b, profile...)
	b = append(b, `","id":`...)
	b = d.appendID(b, numRoleMeta, 100+prof)
	b = append(b, `},"created_by":{"name":`...)
	b = d.appendUserName(b, 0)
	b = append(b, `,"id":`...)
	b = d.appendID(b, 1, 0)
	b = append(b, `},"Created_Time":`...)
	b = d.appendTime(b, d.created(t, u))
	b = append(b, `,"Modified_Time":`...)
	b = d.appendTime(b, t.mod[u])
	b = append(b, `,"Reporting_To":null,"Isonline":false,"zuid":"`...)
	b = strconv.AppendInt(b, 60_000_000+int64(u), 10)
	b = append(b, `","id":`...)
	b = d.appendID(b, 1, u)
	return append(b, '}')
}

// userFilter returns the filter of a type parameter of Get Users, or false.
func userFilter(typ string) (func(u int) bool, bool) {
	switch typ {
	case "", "AllUsers", "ConfirmedUsers":
		return func(int) bool { return true }, true
	case "ActiveUsers", "ActiveConfirmedUsers":
		return userActive, true
	case "DeactiveUsers":
		return func(u int) bool { return !userActive(u) }, true
	case "AdminUsers", "ActiveConfirmedAdmins", "CurrentUser":
		return func(u int) bool { return u == 0 }, true
	case "NotConfirmedUsers", "DeletedUsers":
		return func(int) bool { return false }, true
	}
	return nil, false
}

// handleUsers answers GET /crm/v8/users: page and per_page paging, If-Modified-Since
// (304 when no user changed), 204 when the page is empty.
func (s *Sim) handleUsers(c *call) *apiError {
	v := c.r.URL.Query()
	keep, ok := userFilter(v.Get("type"))
	if !ok {
		return errInvalidParam("type", nil)
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
	status, body := s.usersPage(keep, page, perPage, since)
	s.mu.RUnlock()
	c.reply(status, body)
	return nil
}

// usersPage builds a Get Users answer. The caller holds the read lock.
func (s *Sim) usersPage(keep func(int) bool, page, perPage int, since int64) (int, []byte) {
	t := s.data.users()
	var match []int
	for u := range t.n0 {
		if keep(u) && t.mod[u] > since {
			match = append(match, u)
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
	b := []byte(`{"users":[`)
	for i, u := range match[start:end] {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.data.appendUserRecord(b, u)
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
