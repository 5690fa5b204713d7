package zoho

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// One chain of page_token pages reaches the first 100,000 records of a list
// (Config.PageTokenLimit); a token past them answers
// PAGINATION_LIMIT_EXCEEDED, and Get Records has no other cursor. A read in
// ascending Modified_Time order goes on past the limit with a new chain:
// the records modified after the last second the chain reached, minus one
// second (If-Modified-Since keeps records modified strictly after it, to
// the second), so that the records of that second come again whatever
// their order within it; those the read already had at that second are
// dropped. A record modified while the module is read moves to the end of
// the order, where a later chain finds it.
//
// A read in Zoho's default order cannot resume that way. When one reaches
// the limit it reads the module again in ascending Modified_Time order from
// the start, and the merge drops the records already delivered: correct,
// but it reads the first chain twice, so callers that expect a module near
// the limit ask for an ordered read.

// keyset is the position of one field group's read: its chain of pages,
// and in an ordered read the latest Modified_Time it reached.
type keyset struct {
	ordered bool      // the chain reads in ascending Modified_Time order
	since   time.Time // If-Modified-Since of the chain
	head    int       // pages still expected, asked for at once by number
	chains  int       // chains begun

	at    time.Time       // the latest Modified_Time read
	atIDs map[string]bool // the ids read with Modified_Time at

	read  int // records the chain returned
	fresh int // of those, records not dropped as read before
	pages int // pages read by every chain
}

func newKeyset(q RecordQuery) *keyset {
	return &keyset{ordered: q.ordered(), since: q.Since, head: q.Pages,
		atIDs: map[string]bool{}}
}

// take drops the records read before at the boundary second, and moves the
// position past the others.
func (k *keyset) take(recs []Record) []Record {
	k.read += len(recs)
	k.pages++
	if !k.ordered {
		k.fresh += len(recs)
		return recs
	}
	out := recs[:0]
	for _, r := range recs {
		t, ok := r.Modified()
		switch {
		case !ok: // no position to move; the merge drops a repeat
		case t.After(k.at):
			k.at = t
			clear(k.atIDs)
			k.atIDs[r.ID()] = true
		case t.Equal(k.at):
			if k.atIDs[r.ID()] {
				continue
			}
			k.atIDs[r.ID()] = true
		}
		k.fresh++
		out = append(out, r)
	}
	return out
}

// next sets up the chain after a full one: from the boundary second in an
// ordered read, or an ordered read from the start after a default-order one.
func (k *keyset) next(q RecordQuery, what string, limit int) error {
	switch {
	case !k.ordered:
		k.ordered = true
	case k.at.IsZero():
		return fmt.Errorf("reading %s: %d records without Modified_Time, as many as one "+
			"chain of pages reaches: %w", what, limit, ErrPageLimit)
	case k.fresh == 0:
		return fmt.Errorf("reading %s: more records than one chain of pages reaches "+
			"(%d) share the Modified_Time %s: %w", what, limit, FormatTime(k.at),
			ErrPageLimit)
	default:
		k.since = k.at.Add(-time.Second)
		if k.since.Before(q.Since) {
			k.since = q.Since
		}
	}
	k.read, k.fresh = 0, 0
	k.head = max(0, k.head-k.pages)
	return nil
}

// chainFields returns the fields of one group's chain: an ordered chain
// needs Modified_Time on every record to know where it stands.
func (k *keyset) chainFields(fields []string) []string {
	if !k.ordered || len(fields) == 0 || slices.Contains(fields, modifiedTime) {
		return fields
	}
	return append(slices.Clip(fields), modifiedTime)
}

// feed reads field group gi of n into out, page by page, stopping after
// Until in an ordered read and going on past the page token limit with a
// new chain.
func (c *Client) feed(ctx context.Context, q RecordQuery, fields []string, gi, n int,
	out chan<- []Record) error {
	what := q.Module
	if n > 1 {
		what = fmt.Sprintf("%s (field group %d of %d)", q.Module, gi+1, n)
	}
	k := newKeyset(q)
	for {
		k.chains++
		full, err := c.chain(ctx, q, k, k.chainFields(fields), what, out)
		if err != nil || !full {
			return err
		}
		if err := k.next(q, what, c.cfg.PageTokenLimit); err != nil {
			return err
		}
	}
}

// chain reads one chain of pages into out. full reports that it stopped at
// the page token limit with more records to come.
func (c *Client) chain(ctx context.Context, q RecordQuery, k *keyset, fields []string,
	what string, out chan<- []Record) (full bool, err error) {
	cq := q
	cq.Since, cq.Ordered, cq.Pages = k.since, k.ordered, k.head
	l := cq.lister(fields)
	l.name = what
	if k.chains > 1 {
		l.name = fmt.Sprintf("%s, chain %d from %s", what, k.chains, FormatTime(k.since))
	}
	// Pages asked for by number count against the chain too.
	l.head = min(l.head, c.cfg.PageTokenLimit/c.cfg.PerPage)
	err = c.list(ctx, l, func(_ int, recs []Record) error {
		whole := len(recs) == c.cfg.PerPage
		recs, past := q.cut(k.take(recs))
		select {
		case out <- recs:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if past {
			return errStop
		}
		if whole && k.read+c.cfg.PerPage > c.cfg.PageTokenLimit {
			full = true
			return errStop
		}
		return nil
	})
	return full, err
}
