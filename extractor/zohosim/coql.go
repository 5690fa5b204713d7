package zohosim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// coqlRequest is the body of POST /crm/v8/coql.
type coqlRequest struct {
	SelectQuery string `json:"select_query"`
}

// handleCOQL answers POST /crm/v8/coql.
func (s *Sim) handleCOQL(c *call) *apiError {
	if s.cfg.NoCOQLScope {
		s.stats.unauthorized.Add(1)
		return errScopeMismatch()
	}
	var req coqlRequest
	if err := json.NewDecoder(c.r.Body).Decode(&req); err != nil {
		return errInvalidParam("select_query", nil)
	}
	if strings.TrimSpace(req.SelectQuery) == "" {
		return errParamMissing("select_query")
	}
	q, err := parseCOQL(req.SelectQuery)
	if err != nil {
		return err
	}
	if err := checkLimits(q); err != nil {
		return err
	}
	c.credit = coqlCredits(q.limit)
	s.mu.RLock()
	status, body, err := s.runCOQL(q)
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	c.reply(status, body)
	return nil
}

// checkLimits enforces the per-call and total limits of a query.
func checkLimits(q *coqlQuery) *apiError {
	switch {
	case len(q.columns) > coqlMaxColumns:
		return errQueryLimit(coqlMaxColumns, "select")
	case len(q.orderBy) > coqlMaxOrder:
		return errQueryLimit(coqlMaxOrder, "order by")
	case q.limit > coqlMaxLimit || q.limit < 1:
		return errQueryLimit(coqlMaxLimit, "limit")
	case q.offset+q.limit > coqlMaxTotal:
		return errQueryLimit(coqlMaxTotal, "offset")
	}
	return nil
}

// coqlCredits returns the credits of a query by its LIMIT.
func coqlCredits(limit int) int {
	switch {
	case limit <= 200:
		return 1
	case limit <= 1000:
		return 2
	}
	return 3
}

// coqlRun is a query bound to a table, ready to evaluate.
type coqlRun struct {
	d    *dataset
	t    *table
	cols []*field
	row  row
}

// runCOQL evaluates a query. The caller holds the read lock.
func (s *Sim) runCOQL(q *coqlQuery) (int, []byte, *apiError) {
	d := s.data
	t := d.recordTable(q.module)
	if t == nil {
		return 0, nil, errInvalidModule()
	}
	run := &coqlRun{d: d, t: t}
	if err := run.bindColumns(q); err != nil {
		return 0, nil, err
	}
	if err := run.check(q.where); err != nil {
		return 0, nil, err
	}
	idxs, more, err := run.matches(q)
	if err != nil {
		return 0, nil, err
	}
	if len(idxs) == 0 {
		return http.StatusNoContent, nil, nil
	}
	s.stats.records.Add(int64(len(idxs)))
	b := []byte(`{"data":[`)
	for i, idx := range idxs {
		if i > 0 {
			b = append(b, ',')
		}
		b = run.appendRow(b, int(idx))
	}
	b = append(b, `],"info":{"count":`...)
	b = strconv.AppendInt(b, int64(len(idxs)), 10)
	b = append(b, `,"more_records":`...)
	b = strconv.AppendBool(b, more)
	return http.StatusOK, append(b, "}}"...), nil
}

// bindColumns resolves the select list and the order columns.
func (r *coqlRun) bindColumns(q *coqlQuery) *apiError {
	want := map[*field]bool{}
	for _, c := range q.columns {
		if c == "id" {
			continue
		}
		f := r.t.m.byAPI[c]
		if f == nil {
			return errQuery(map[string]any{"column_name": c, "reason": "invalid column"})
		}
		if f.kind == kSubform || f.kind == kParticipants {
			return errQuery(map[string]any{"column_name": c,
				"reason": "the field is not supported in a query"})
		}
		want[f] = true
	}
	for _, f := range r.t.m.fields {
		if want[f] {
			r.cols = append(r.cols, f)
		}
	}
	seen := map[string]bool{}
	for _, k := range q.orderBy {
		switch {
		case seen[k.column]:
			return errDuplicate(k.column)
		case k.column != "id" && k.column != "Modified_Time" && k.column != "Created_Time":
			return errQuery(map[string]any{"column_name": k.column,
				"reason": "the simulator orders by id, Created_Time or Modified_Time only"})
		}
		seen[k.column] = true
	}
	return nil
}

// check resolves the where clause's columns and literals.
func (r *coqlRun) check(c *coqlCond) *apiError {
	if c.left != nil {
		if err := r.check(c.left); err != nil {
			return err
		}
		return r.check(c.right)
	}
	f, special := r.t.m.byAPI[c.column], isSpecial(c.column)
	if f == nil && c.column != "id" {
		return errQuery(map[string]any{"column_name": c.column, "reason": "invalid column"})
	}
	if c.op == "is" || c.op == "is not" {
		return nil
	}
	if special {
		for _, v := range c.values {
			if _, ok := r.literal(c.column, v); !ok {
				return errQuery(map[string]any{"column_name": c.column, "value": v,
					"reason": "invalid value for the column's data type"})
			}
		}
		return nil
	}
	if f.kind == kTextarea || f.kind == kSubform || f.kind == kMulti {
		return errQuery(map[string]any{"column_name": c.column, "operator": c.op,
			"reason": "the field cannot be used in criteria"})
	}
	return nil
}

// isSpecial reports whether a column is compared as a number: id or a record time.
func isSpecial(column string) bool {
	return column == "id" || column == "Modified_Time" || column == "Created_Time"
}

// literal converts a literal of a special column to its comparable number.
func (r *coqlRun) literal(column, v string) (int64, bool) {
	if column == "id" {
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	t, err := time.Parse(time.RFC3339, v)
	return t.Unix(), err == nil
}

// matches returns the records of one query page and whether more match.
func (r *coqlRun) matches(q *coqlQuery) ([]int32, bool, *apiError) {
	ord, generic := scanOrder(q.orderBy)
	sc := &scan{t: r.t, ord: ord, from: cursor{start: true}, since: noSince}
	if ord.byMod {
		sc.since = lowerBound(r, q.where)
	}
	if !generic {
		var out []int32
		more, skip := false, q.offset
		sc.each(func(idx int32) bool {
			if !r.eval(q.where, int(idx)) {
				return true
			}
			switch {
			case skip > 0:
				skip--
			case len(out) == q.limit:
				more = true
				return false
			default:
				out = append(out, idx)
			}
			return true
		})
		return out, more, nil
	}
	var all []int32
	sc.each(func(idx int32) bool {
		if r.eval(q.where, int(idx)) {
			all = append(all, idx)
		}
		return true
	})
	slices.SortStableFunc(all, func(a, b int32) int { return r.compare(q.orderBy, a, b) })
	start := min(q.offset, len(all))
	end := min(start+q.limit, len(all))
	return all[start:end], end < len(all), nil
}

// scanOrder maps ORDER BY to a scan order. It reports generic when the keys need a
// sort: mixed directions, or a key after Modified_Time other than id.
func scanOrder(keys []orderKey) (order, bool) {
	if len(keys) == 0 {
		return order{}, false
	}
	ord := order{byMod: keys[0].column == "Modified_Time", desc: keys[0].desc}
	for _, k := range keys[1:] {
		if k.desc != ord.desc || ord.byMod && k.column != "id" {
			return ord, true
		}
		if !ord.byMod {
			break // id order is total
		}
	}
	return ord, false
}

// compare orders two records by ORDER BY keys, then by id ascending.
func (r *coqlRun) compare(keys []orderKey, a, b int32) int {
	for _, k := range keys {
		var c int
		switch k.column {
		case "Modified_Time":
			c = cmp.Compare(r.t.mod[a], r.t.mod[b])
		case "Created_Time":
			c = cmp.Compare(r.d.created(r.t, int(a)), r.d.created(r.t, int(b)))
		default:
			c = cmp.Compare(a, b)
		}
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(a, b)
}

// lowerBound finds a Modified_Time lower bound in the top-level "and" chain of a
// where clause, so a Modified_Time scan can start there; noSince if there is none.
func lowerBound(r *coqlRun, c *coqlCond) int64 {
	if c.op == "and" {
		return max(lowerBound(r, c.left), lowerBound(r, c.right))
	}
	if c.column != "Modified_Time" || len(c.values) != 1 {
		return noSince
	}
	v, _ := r.literal(c.column, c.values[0])
	switch c.op {
	case ">":
		return v
	case ">=", "=":
		return v - 1
	}
	return noSince
}

// eval reports whether record idx satisfies c.
func (r *coqlRun) eval(c *coqlCond, idx int) bool {
	switch c.op {
	case "and":
		return r.eval(c.left, idx) && r.eval(c.right, idx)
	case "or":
		return r.eval(c.left, idx) || r.eval(c.right, idx)
	}
	if isSpecial(c.column) {
		return r.evalNumber(c, r.special(c.column, idx))
	}
	f := r.t.m.byAPI[c.column]
	r.row = r.d.row(r.t, idx, false)
	var raw []byte
	if f.link != nil {
		raw = r.d.appendLink(nil, &r.row, f, true)
	} else {
		raw = r.d.appendValue(nil, &r.row, f)
	}
	isNull := bytes.Equal(raw, []byte("null"))
	switch c.op {
	case "is":
		return isNull
	case "is not":
		return !isNull
	}
	if isNull {
		return false
	}
	return evalValue(c, raw)
}

// special returns the number a special column compares: id or a Unix time.
func (r *coqlRun) special(column string, idx int) int64 {
	switch column {
	case "Modified_Time":
		return r.t.mod[idx]
	case "Created_Time":
		return r.d.created(r.t, idx)
	}
	return r.d.id(r.t.m.num, idx)
}

// evalNumber compares an id or a time with the condition's literals.
func (r *coqlRun) evalNumber(c *coqlCond, v int64) bool {
	if c.op == "is" {
		return false
	}
	if c.op == "is not" {
		return true
	}
	lits := make([]int64, len(c.values))
	for i, s := range c.values {
		lits[i], _ = r.literal(c.column, s)
	}
	return compareOp(c.op, cmp.Compare(v, lits[0]), func() bool {
		return slices.Contains(lits, v)
	}, len(lits) == 2 && v >= lits[0] && v <= lits[1])
}

// evalValue compares a generated JSON value with the condition's literals: lookups by
// id, numbers numerically, everything else as text.
func evalValue(c *coqlCond, raw []byte) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	text := ""
	switch x := v.(type) {
	case map[string]any:
		text, _ = x["id"].(string)
	case string:
		text = x
	case float64:
		n, _ := strconv.ParseFloat(c.values[0], 64)
		return compareOp(c.op, cmp.Compare(x, n), func() bool {
			return slices.Contains(c.values, strconv.FormatFloat(x, 'f', -1, 64))
		}, false)
	case bool:
		text = strconv.FormatBool(x)
	}
	if c.op == "like" {
		return like(text, c.values[0])
	}
	return compareOp(c.op, strings.Compare(text, c.values[0]), func() bool {
		return slices.Contains(c.values, text)
	}, len(c.values) == 2 && text >= c.values[0] && text <= c.values[1])
}

// compareOp applies a comparator given the comparison with the first literal, a
// membership test and the between result.
func compareOp(op string, c int, in func() bool, between bool) bool {
	switch op {
	case "=":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case ">":
		return c > 0
	case "<=":
		return c <= 0
	case ">=":
		return c >= 0
	case "in":
		return in()
	case "not in":
		return !in()
	case "between":
		return between
	}
	return false
}

// like matches text against a pattern with % wildcards at either end.
func like(text, pattern string) bool {
	core := strings.Trim(pattern, "%")
	switch {
	case strings.HasPrefix(pattern, "%") && strings.HasSuffix(pattern, "%"):
		return strings.Contains(text, core)
	case strings.HasPrefix(pattern, "%"):
		return strings.HasSuffix(text, core)
	case strings.HasSuffix(pattern, "%"):
		return strings.HasPrefix(text, core)
	}
	return text == pattern
}

// appendRow appends one COQL result row: the selected columns and id. Lookups carry
// only the id, as COQL returns them.
func (r *coqlRun) appendRow(b []byte, idx int) []byte {
	row := r.d.row(r.t, idx, false)
	b = append(b, '{')
	for _, f := range r.cols {
		b = append(b, f.key...)
		if f.link != nil {
			b = r.d.appendLink(b, &row, f, true)
		} else {
			b = r.d.appendValue(b, &row, f)
		}
		b = append(b, ',')
	}
	b = append(b, `"id":`...)
	b = r.d.appendID(b, r.t.m.num, idx)
	return append(b, '}')
}
