package zoho

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crmgraph/crmgraph/extractor/internal/rawjson"
)

// Page is one page of records of a module, every field group merged.
type Page struct {
	// Module is the module the records belong to.
	Module string
	// Number counts pages from 1.
	Number int
	// Records are the page's complete records.
	Records []Record
}

// pageInfo is the info object of a list response.
type pageInfo struct {
	MoreRecords   bool   `json:"more_records"`
	NextPageToken string `json:"next_page_token"`
}

// lister reads a paged list: it follows next_page_token when the API gives
// one and counts pages up otherwise.
type lister struct {
	kind    string     // call kind, for hooks
	name    string     // what is listed, for errors: "Contacts", "Users"
	path    string     // below APIVersion
	query   url.Values // fixed parameters
	since   time.Time
	credits int
	heavy   bool // under the sub-concurrency limit (sort_by, cvid)
	// head is how many first pages to ask for at once by page number; the
	// list goes on from the last one's page_token.
	head int
	// members is how many members a record is expected to have.
	members int
}

// errStop is returned by a list callback that needs no more pages.
var errStop = errors.New("stop listing")

// page is one page of a list as read.
type page struct {
	recs []Record
	info pageInfo
	end  bool // 204 or 304: nothing here
}

// list calls fn with every page of a list, in order, until the API says
// there are no more records or fn returns errStop.
func (c *Client) list(ctx context.Context, l lister, fn func(n int, recs []Record) error) error {
	n, token := 1, ""
	if l.head > 1 {
		pages, err := c.head(ctx, l)
		if err != nil {
			return err
		}
		for _, p := range pages {
			if p.end {
				return nil
			}
			if err := fn(n, p.recs); err != nil {
				return stopped(err)
			}
			if !p.info.MoreRecords || len(p.recs) == 0 {
				return nil
			}
			n, token = n+1, p.info.NextPageToken
		}
		if token == "" {
			return fmt.Errorf("page %d of %s has more records but no next_page_token: %w",
				n-1, l.name, ErrMalformed)
		}
	}
	for ; ; n++ {
		p, err := c.readPage(ctx, l, n, token)
		if err != nil || p.end {
			return err
		}
		if err := fn(n, p.recs); err != nil {
			return stopped(err)
		}
		if !p.info.MoreRecords || len(p.recs) == 0 {
			return nil
		}
		token = p.info.NextPageToken
	}
}

// head reads the first l.head pages side by side, by page number.
func (c *Client) head(ctx context.Context, l lister) ([]page, error) {
	pages := make([]page, min(l.head, c.maxDiscrete()))
	g, gctx := errgroup.WithContext(ctx)
	for i := range pages {
		g.Go(func() (err error) {
			pages[i], err = c.readPage(gctx, l, i+1, "")
			return err
		})
	}
	return pages, g.Wait()
}

// remaining is the priority of page n: the chain of pages still to read
// with it, counting the first pages, read at once, as one.
func (l lister) remaining(n int) int {
	if l.head <= 1 {
		return 0
	}
	discrete := min(l.head, 2000/MaxPerPage)
	if n <= discrete {
		return l.head - discrete + 1
	}
	return max(1, l.head-n+1)
}

// maxDiscrete is how many pages of the configured size page numbers reach.
func (c *Client) maxDiscrete() int { return 2000 / c.cfg.PerPage }

// readPage reads page n of a list: by token when there is one, else by
// number.
func (c *Client) readPage(ctx context.Context, l lister, n int, token string) (page, error) {
	q := maps.Clone(l.query)
	if q == nil {
		q = url.Values{}
	}
	q.Set("per_page", strconv.Itoa(c.cfg.PerPage))
	if token != "" {
		q.Set("page_token", token)
	} else if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	what := fmt.Sprintf("page %d of %s", n, l.name)
	body, err := c.get(ctx, call{kind: l.kind, what: what, path: l.path, query: q,
		since: l.since, credits: l.credits, heavy: l.heavy, priority: l.remaining(n)})
	if err != nil || body == nil {
		return page{end: true}, err
	}
	recs, info, err := decodeList(body, l.members)
	if err != nil {
		return page{}, fmt.Errorf("decoding %s: %w", what, err)
	}
	c.usage.pages.Add(1)
	return page{recs: recs, info: info}, nil
}

// stopped turns errStop into the end of a list.
func stopped(err error) error {
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// decodeList reads a list response in one pass: the records under data
// (users under users) and the info object.
func decodeList(body []byte, members int) ([]Record, pageInfo, error) {
	if members <= 0 {
		members = membersHint
	}
	var recs []Record
	var info pageInfo
	var cur *Record
	err := rawjson.MemberLists(body, []string{"data", "users"},
		func(_ string, _ int) error {
			recs = append(recs, Record{Members: make([]Member, 0, members)})
			cur = &recs[len(recs)-1]
			return nil
		},
		func(key string, value []byte) error {
			cur.Members = append(cur.Members, Member{Key: key, Value: value})
			if key == "id" {
				cur.id = idOf(value)
			}
			return nil
		},
		func(key string, value []byte) error {
			if key != "info" {
				return nil
			}
			if err := json.Unmarshal(value, &info); err != nil {
				return fmt.Errorf("info: %w", err)
			}
			return nil
		})
	if err != nil {
		return nil, pageInfo{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	for i, r := range recs {
		if r.id == "" {
			return nil, pageInfo{}, fmt.Errorf("entry %d has no id: %w", i, ErrMalformed)
		}
	}
	return recs, info, nil
}

// membersHint is the capacity a record's member list starts with when the
// caller does not know better: enough for one group of fields.
const membersHint = 64

// recordKeys is about how many members a record has besides the fields
// asked for: its id and the record-level $ keys.
const recordKeys = 16
