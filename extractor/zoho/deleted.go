package zoho

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// Deletion is one entry of a module's deleted-records feed.
type Deletion struct {
	// ID is the deleted record's id.
	ID string
	// Time is when it was deleted; zero when Zoho did not say.
	Time time.Time
	// Type is "recycle" (in the recycle bin) or "permanent".
	Type string
}

// Deleted reads a module's deleted records (/{module}/deleted?type=all),
// deleted after since when since is not zero, and calls fn with each page.
func (c *Client) Deleted(ctx context.Context, module string, since time.Time,
	fn func([]Deletion) error) error {
	l := lister{kind: "deleted", name: "deleted records of " + module,
		path: "/" + url.PathEscape(module) + "/deleted", query: url.Values{"type": {"all"}},
		since: since, credits: 2}
	return c.list(ctx, l, func(n int, recs []Record) error {
		ds := make([]Deletion, 0, len(recs))
		for _, r := range recs {
			d := Deletion{ID: r.ID()}
			d.Type, _ = r.Text("type")
			if s, ok := r.Text("deleted_time"); ok && s != "" {
				t, err := ParseTime(s)
				if err != nil {
					return fmt.Errorf("decoding page %d of deleted records of %s: %w: %w",
						n, module, ErrMalformed, err)
				}
				d.Time = t
			}
			ds = append(ds, d)
		}
		return fn(ds)
	})
}
