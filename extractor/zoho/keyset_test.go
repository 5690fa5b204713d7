package zoho_test

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/extractor/zoho"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

// tokenLimit is the page token limit of these tests: Contacts (16,000
// records) takes six chains of pages.
const tokenLimit = 3000

// clock is a simulator clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
}

// chainSpy records the If-Modified-Since of every Get Records call of a
// module that begins a chain of pages (neither page_token nor page > 1).
type chainSpy struct {
	module string
	base   http.RoundTripper

	mu     sync.Mutex
	starts map[string]bool
}

// RoundTrip implements http.RoundTripper.
func (s *chainSpy) RoundTrip(r *http.Request) (*http.Response, error) {
	q := r.URL.Query()
	if r.URL.Path == zoho.APIVersion+"/"+s.module && !q.Has("page_token") &&
		q.Get("page") == "" && r.Header.Get("If-Modified-Since") != "" {
		s.mu.Lock()
		s.starts[r.Header.Get("If-Modified-Since")] = true
		s.mu.Unlock()
	}
	return s.base.RoundTrip(r)
}

// chainStarts returns the seconds the chains after the first began at: the
// If-Modified-Since they sent plus one second, in order.
func (s *chainSpy) chainStarts(t *testing.T) []time.Time {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Time
	for h := range s.starts {
		ts, err := zoho.ParseTime(h)
		if err != nil {
			t.Fatalf("If-Modified-Since %q: %v", h, err)
		}
		out = append(out, ts.Add(time.Second))
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// tiedSim starts a simulator with the test's page token limit in which
// updates stamped blocks of Contacts, each block with one Modified_Time, a
// second apart; blocks is the share of Contacts each block updates.
func tiedSim(t *testing.T, blocks ...float64) *zohosim.Server {
	t.Helper()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := sim(t, zohosim.Config{PageTokenLimit: tokenLimit, Now: clk.now})
	for _, share := range blocks {
		clk.tick()
		_, err := s.Sim.Mutate(zohosim.MutateSpec{Update: share,
			Modules: []string{"Contacts"}})
		if err != nil {
			t.Fatalf("updating Contacts: %v", err)
		}
	}
	return s
}

// spiedClient returns a client with the test's page token limit that
// records the chains of pages of Contacts.
func spiedClient(t *testing.T, s *zohosim.Server) (*zoho.Client, *chainSpy) {
	t.Helper()
	spy := &chainSpy{module: "Contacts", base: http.DefaultTransport,
		starts: map[string]bool{}}
	c := client(t, s, func(c *zoho.Config) {
		c.PageTokenLimit = tokenLimit
		c.HTTPClient = &http.Client{Transport: spy, Timeout: time.Minute}
	})
	return c, spy
}

// modifiedTimes returns the Modified_Time of every record of the module,
// in order.
func modifiedTimes(t *testing.T, s *zohosim.Server, module string) []time.Time {
	t.Helper()
	var out []time.Time
	err := s.Sim.EachRecord(module, func(rec map[string]any) error {
		ts, err := zoho.ParseTime(rec["Modified_Time"].(string))
		out = append(out, ts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// readQuery reads the records q asks for, by id, failing the test on a
// record delivered twice.
func readQuery(t *testing.T, c *zoho.Client, q zoho.RecordQuery) (
	map[string]map[string]any, error) {
	t.Helper()
	got := map[string]map[string]any{}
	_, err := c.Records(ctx(t), q, func(p zoho.Page) error {
		for _, r := range p.Records {
			m, err := r.Decode()
			if err != nil {
				return err
			}
			if _, dup := got[r.ID()]; dup {
				t.Errorf("%s %s delivered twice", q.Module, r.ID())
			}
			got[r.ID()] = m
		}
		return nil
	})
	return got, err
}

// checkComplete compares the records read with the simulator's: every
// record once, with every field.
func checkComplete(t *testing.T, s *zohosim.Server, module string,
	got map[string]map[string]any) {
	t.Helper()
	want := truth(t, s, module)
	if len(got) != len(want) {
		t.Errorf("read %d records of %s, the simulator holds %d", len(got), module, len(want))
	}
	missing := 0
	for id, keys := range want {
		rec, ok := got[id]
		switch {
		case !ok:
			if missing++; missing <= 3 {
				t.Errorf("%s %s not read", module, id)
			}
		case !slices.Equal(slices.Sorted(maps.Keys(rec)), keys):
			t.Errorf("%s %s: keys %v, want %v", module, id,
				slices.Sorted(maps.Keys(rec)), keys)
		}
	}
	if missing > 0 {
		t.Errorf("%d records of %s not read", missing, module)
	}
}

func TestOrderedReadGoesPastThePageTokenLimit(t *testing.T) {
	s := tiedSim(t, 0.12, 0.12, 0.12, 0.12, 0.12)
	names := fieldNames(t, client(t, s, nil), "Contacts")
	mods := modifiedTimes(t, s, "Contacts")
	for _, pages := range []int{0, 80} {
		t.Run(map[int]string{0: "page by page", 80: "first pages at once"}[pages],
			func(t *testing.T) {
				c, spy := spiedClient(t, s)
				got, err := readQuery(t, c, zoho.RecordQuery{Module: "Contacts",
					Fields: names, Ordered: true, Pages: pages})
				if err != nil {
					t.Fatalf("reading Contacts: %v", err)
				}
				checkComplete(t, s, "Contacts", got)
				checkChains(t, mods, spy.chainStarts(t))
			})
	}
}

// checkChains checks where the chains of an ordered read began against
// the simulator's Modified_Times: each chain reads tokenLimit records from
// the first record of the second the chain before ended at. At least one
// chain must end inside a second, with more of its records after the cut,
// so that the next chain has to find them and drop those read already.
func checkChains(t *testing.T, mods []time.Time, starts []time.Time) {
	t.Helper()
	var want []time.Time
	inside := 0
	for from := 0; from+tokenLimit < len(mods); {
		end := mods[from+tokenLimit-1]
		want = append(want, end)
		if mods[from+tokenLimit].Equal(end) {
			inside++
		}
		from = sort.Search(len(mods), func(i int) bool { return !mods[i].Before(end) })
	}
	if !slices.EqualFunc(starts, want, time.Time.Equal) {
		t.Fatalf("chains began at %v, want %v", starts, want)
	}
	if inside == 0 {
		t.Errorf("no chain ended inside a second: the test data lost its ties: %v", starts)
	}
	t.Logf("%d chains; %d ended inside a second", len(starts)+1, inside)
}

func TestDefaultOrderReadPastTheLimitIsReadAgainOrdered(t *testing.T) {
	s := tiedSim(t, 0.1)
	names := fieldNames(t, client(t, s, nil), "Contacts")
	c, spy := spiedClient(t, s)
	got, err := readQuery(t, c, zoho.RecordQuery{Module: "Contacts", Fields: names})
	if err != nil {
		t.Fatalf("reading Contacts: %v", err)
	}
	checkComplete(t, s, "Contacts", got)
	if len(spy.chainStarts(t)) == 0 {
		t.Error("no ordered chain after the default-order one")
	}
}

func TestMoreRecordsInOneSecondThanAChainReachesIsAnError(t *testing.T) {
	s := tiedSim(t, 1)
	c, _ := spiedClient(t, s)
	_, err := readQuery(t, c, zoho.RecordQuery{Module: "Contacts",
		Fields: []string{"Last_Name"}, Ordered: true})
	if !errors.Is(err, zoho.ErrPageLimit) {
		t.Fatalf("reading 16,000 records of one second: %v, want ErrPageLimit", err)
	}
}

// fieldNames returns the API names of a module's fields.
func fieldNames(t *testing.T, c *zoho.Client, module string) []string {
	t.Helper()
	fields, err := c.Fields(ctx(t), module)
	if err != nil {
		t.Fatalf("fields of %s: %v", module, err)
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.APIName
	}
	return names
}
