package zoho_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/extractor/zoho"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

func TestModifiedTimesReadsAscendingTimes(t *testing.T) {
	s := sim(t, zohosim.Config{})
	c := client(t, s, nil)
	want := modifiedTimes(t, s, "Leads")
	from := want[4000]
	for _, tc := range []struct {
		name          string
		from          time.Time
		offset, limit int
		want          []time.Time
		more          bool
	}{
		{"first rows", time.Time{}, 0, 2000, want[:2000], true},
		{"rows from an offset", time.Time{}, 9000, 2000, want[9000:], false},
		{"rows from a time", from, 0, 10, want[slices.IndexFunc(want,
			func(v time.Time) bool { return !v.Before(from) }):][:10], true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, more, err := c.ModifiedTimes(ctx(t), "Leads", tc.from, tc.offset, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, tc.want, time.Time.Equal) || more != tc.more {
				t.Errorf("%d times (more %t), want %d (more %t)", len(got), more,
					len(tc.want), tc.more)
			}
		})
	}
	for _, bad := range [][2]int{{0, 0}, {0, 2001}, {99000, 2000}, {-1, 10}} {
		_, _, err := c.ModifiedTimes(ctx(t), "Leads", time.Time{}, bad[0], bad[1])
		if !errors.Is(err, zoho.ErrConfig) {
			t.Errorf("offset %d, limit %d: %v, want ErrConfig", bad[0], bad[1], err)
		}
	}
}
