package zoho

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// prefetch is how many pages a field group's reader may run ahead of the
// merge.
const prefetch = 2

// maxGroups is the most field groups one read merges (one bit each).
const maxGroups = 64

// MaxIDs is the most ids one Get Records call may name.
const MaxIDs = 100

// RecordQuery says which records of a module to read.
type RecordQuery struct {
	// Module is the module's API name.
	Module string
	// Fields are the API names of the fields to read: all of the module's,
	// so that every field arrives. They are requested in groups of at most
	// MaxFields.
	Fields []string
	// Since, when not zero, asks only for records modified after it
	// (If-Modified-Since).
	Since time.Time
	// Ordered reads the records in ascending Modified_Time order
	// (sort_by=Modified_Time), a heavy call under Zoho's sub-concurrency
	// limit. A record modified while the module is read moves to the end of
	// that order, so an ordered read to the end misses none. An ordered
	// read goes on past the page token limit at no extra cost (keyset.go);
	// a read in Zoho's default order that reaches it is read again ordered.
	Ordered bool
	// Until, when not zero, ends an ordered read after the records modified
	// at or before it: with Since it reads one slice of a module, so that
	// slices can be read side by side.
	Until time.Time
	// IDs, when not empty, reads only these records (at most MaxIDs); those
	// that no longer exist do not come back.
	IDs []string
	// Pages is how many pages the read is expected to take, 0 when unknown.
	// When it is 2 or more, the first pages (up to the 2,000th record, which
	// page numbers reach) are asked for at once, and the read goes on with
	// the last one's page_token.
	Pages int
}

// FetchStats is what Records read.
type FetchStats struct {
	// Pages counts the pages merged (each of them read once per group).
	Pages int
	// Records counts the complete records delivered.
	Records int
	// Groups is the number of field groups.
	Groups int
	// Incomplete counts records that some field group never returned, even
	// when asked by id: they were deleted while the module was read. They
	// are not delivered.
	Incomplete int
}

// FieldGroups splits fields into the fewest groups of at most size fields,
// of nearly equal length, in the given order.
func FieldGroups(fields []string, size int) [][]string {
	if len(fields) == 0 {
		return [][]string{nil}
	}
	n := (len(fields) + size - 1) / size
	groups := make([][]string, 0, n)
	for i := range n {
		lo, hi := i*len(fields)/n, (i+1)*len(fields)/n
		groups = append(groups, fields[lo:hi])
	}
	return groups
}

// Records reads the records of a module and calls fn with each page, every
// field group merged by id. The groups are read side by side with
// page_token, a few pages ahead of the merge; a record that one group
// returned on a later page than another (because records changed while
// the module was read) is held until every group has returned it, and one
// that some group never returned is asked for by id at the end.
//
// fn is called from one goroutine at a time; Records returns its first
// error.
func (c *Client) Records(ctx context.Context, q RecordQuery,
	fn func(Page) error) (FetchStats, error) {
	groups := q.Groups()
	st := FetchStats{Groups: len(groups)}
	if len(q.IDs) > MaxIDs {
		return st, fmt.Errorf("reading %d records of %s by id, more than %d: %w",
			len(q.IDs), q.Module, MaxIDs, ErrConfig)
	}
	if len(groups) > maxGroups {
		return st, fmt.Errorf("reading %s: %d fields need %d groups, more than %d: %w",
			q.Module, len(q.Fields), len(groups), maxGroups, ErrConfig)
	}
	g, gctx := errgroup.WithContext(ctx)
	feeds := make([]chan []Record, len(groups))
	for i, fields := range groups {
		feeds[i] = make(chan []Record, prefetch)
		g.Go(func() error {
			defer close(feeds[i])
			return c.feed(gctx, q, fields, i, len(groups), feeds[i])
		})
	}
	m := newMerger(len(groups))
	g.Go(func() error {
		defer drain(feeds)
		return m.run(feeds, func(done []Record) error {
			st.Pages++
			st.Records += len(done)
			return fn(Page{Module: q.Module, Number: st.Pages, Records: done})
		})
	})
	if err := g.Wait(); err != nil {
		return st, err
	}
	if m.pendingCount() == 0 {
		return st, nil
	}
	return c.complete(ctx, q, groups, m, fn, st)
}

// complete asks by id for the fields that some group did not return and
// delivers the records that are then complete, as one last page.
func (c *Client) complete(ctx context.Context, q RecordQuery, groups [][]string, m *merger,
	fn func(Page) error, st FetchStats) (FetchStats, error) {
	for gi, fields := range groups {
		missing := m.missing(gi)
		for chunk := range slices.Chunk(missing, MaxIDs) {
			byID := RecordQuery{Module: q.Module, IDs: chunk}
			l := byID.lister(fields)
			err := c.list(ctx, l, func(_ int, recs []Record) error {
				m.add(gi, recs)
				return nil
			})
			if err != nil {
				return st, err
			}
		}
	}
	done := m.take()
	st.Incomplete = m.pendingCount()
	if len(done) == 0 {
		return st, nil
	}
	st.Pages++
	st.Records += len(done)
	return st, fn(Page{Module: q.Module, Number: st.Pages, Records: done})
}

// lister returns the paged read of one field group.
func (q RecordQuery) lister(fields []string) lister {
	query := url.Values{}
	if len(fields) > 0 {
		query.Set("fields", strings.Join(fields, ","))
	}
	l := lister{kind: "records", name: q.Module, path: "/" + url.PathEscape(q.Module),
		query: query, since: q.Since, credits: 1, members: len(fields) + recordKeys}
	if len(q.IDs) > 0 {
		query.Set("ids", strings.Join(q.IDs, ","))
		l.name = fmt.Sprintf("%d records of %s by id", len(q.IDs), q.Module)
	} else {
		l.head = q.Pages
	}
	if q.ordered() {
		query.Set("sort_by", modifiedTime)
		query.Set("sort_order", "asc")
		l.heavy = true
	}
	return l
}

// modifiedTime is the field ordered reads sort and stop on.
const modifiedTime = "Modified_Time"

// ordered reports whether the query reads in ascending Modified_Time order.
func (q RecordQuery) ordered() bool { return q.Ordered || !q.Until.IsZero() }

// Groups returns the field groups the query is read in: at most MaxFields
// fields each. An ordered read has Modified_Time in every group, so that
// each group can tell where to stop and where to go on past the page token
// limit (keyset.go).
func (q RecordQuery) Groups() [][]string {
	if !q.ordered() {
		return FieldGroups(q.Fields, MaxFields)
	}
	others := slices.DeleteFunc(slices.Clone(q.Fields), func(f string) bool {
		return f == modifiedTime
	})
	groups := FieldGroups(others, MaxFields-1)
	for i, g := range groups {
		groups[i] = append(slices.Clip(g), modifiedTime)
	}
	return groups
}

// cut keeps the records of an ordered page modified at or before Until,
// and reports whether the page went past it, so that no page follows.
func (q RecordQuery) cut(recs []Record) ([]Record, bool) {
	if q.Until.IsZero() {
		return recs, false
	}
	for i, r := range recs {
		if t, ok := r.Modified(); ok && t.After(q.Until) {
			return recs[:i], true
		}
	}
	return recs, false
}

// drain empties the feeds so that readers blocked on a full feed can see
// that the merge ended.
func drain(feeds []chan []Record) {
	for _, f := range feeds {
		go func() {
			for range f {
			}
		}()
	}
}
