package zoho

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// MaxQueryRows is the most rows one COQL query returns (v7 and v8).
const MaxQueryRows = 2000

// MaxQueryReach is how far OFFSET plus LIMIT reach in COQL (v7 and v8);
// past it a query must start from a later Modified_Time.
const MaxQueryReach = 100_000

// ModifiedTimes returns the Modified_Time of up to limit records of a
// module in ascending order, after skipping offset of them: of the records
// modified at or after from, or of every record when from is zero. more
// reports whether records follow. It is one COQL query: a heavy call,
// costing 1 to 3 credits by its limit, that needs the ZohoCRM.coql.READ
// scope. limit is at most MaxQueryRows and offset+limit at most
// MaxQueryReach.
func (c *Client) ModifiedTimes(ctx context.Context, module string, from time.Time,
	offset, limit int) (times []time.Time, more bool, err error) {
	if limit < 1 || limit > MaxQueryRows || offset < 0 || offset+limit > MaxQueryReach {
		return nil, false, fmt.Errorf("querying %d Modified_Time of %s from record %d: "+
			"want 1 to %d rows within the first %d: %w", limit, module, offset+1,
			MaxQueryRows, MaxQueryReach, ErrConfig)
	}
	where := "Modified_Time is not null"
	if !from.IsZero() {
		where = fmt.Sprintf("Modified_Time >= '%s'", FormatTime(from))
	}
	query := fmt.Sprintf("select Modified_Time from %s where %s "+
		"order by Modified_Time asc, id asc limit %d offset %d",
		module, where, limit, offset)
	body, err := json.Marshal(map[string]string{"select_query": query})
	if err != nil {
		return nil, false, fmt.Errorf("encoding a query of %s: %w", module, err)
	}
	what := fmt.Sprintf("Modified_Time of %s from record %d", module, offset+1)
	resp, err := c.get(ctx, call{kind: "coql", what: what, path: "/coql", body: body,
		credits: queryCredits(limit), heavy: true})
	if err != nil || resp == nil {
		return nil, false, err
	}
	var page struct {
		Data []struct {
			Modified string `json:"Modified_Time"`
		} `json:"data"`
		Info struct {
			More bool `json:"more_records"`
		} `json:"info"`
	}
	if err := json.Unmarshal(resp, &page); err != nil {
		return nil, false, fmt.Errorf("decoding %s: %w: %w", what, ErrMalformed, err)
	}
	times = make([]time.Time, 0, len(page.Data))
	for _, row := range page.Data {
		t, err := ParseTime(row.Modified)
		if err != nil {
			return nil, false, fmt.Errorf("decoding %s: %w: %w", what, ErrMalformed, err)
		}
		times = append(times, t)
	}
	return times, page.Info.More, nil
}

// queryCredits is what a COQL query costs by its limit.
func queryCredits(limit int) int {
	switch {
	case limit <= 200:
		return 1
	case limit <= 1000:
		return 2
	}
	return 3
}
