package zoho

import (
	"context"
	"net/url"
	"time"
)

// UsersModule is the module name under which users are extracted: the
// target of every Owner field.
const UsersModule = "Users"

// Users reads every user of the organisation (users?type=AllUsers), active
// or not, modified after since when since is not zero, and calls fn with
// each page.
func (c *Client) Users(ctx context.Context, since time.Time,
	fn func(Page) error) (FetchStats, error) {
	var st FetchStats
	l := lister{kind: "users", name: UsersModule, path: "/users",
		query: url.Values{"type": {"AllUsers"}}, since: since, credits: 1}
	err := c.list(ctx, l, func(n int, recs []Record) error {
		st.Pages++
		st.Records += len(recs)
		return fn(Page{Module: UsersModule, Number: n, Records: recs})
	})
	st.Groups = 1
	return st, err
}
