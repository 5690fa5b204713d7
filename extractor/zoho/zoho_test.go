package zoho_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/extractor/zoho"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

// sim starts a simulator for the test.
func sim(t *testing.T, cfg zohosim.Config) *zohosim.Server {
	t.Helper()
	s, err := zohosim.NewServer(cfg)
	if err != nil {
		t.Fatalf("starting the simulator: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// client returns a client of the simulator with short retries.
func client(t *testing.T, s *zohosim.Server, adjust func(*zoho.Config)) *zoho.Client {
	t.Helper()
	cfg := zoho.Config{ClientID: "sim", ClientSecret: "sim", RefreshToken: "sim-refresh",
		AccountsURL: s.URL, Edition: "enterprise", RetryInitial: 10 * time.Millisecond,
		RetryMax: 100 * time.Millisecond, RetryBudget: 10 * time.Second}
	if adjust != nil {
		adjust(&cfg)
	}
	c, err := zoho.New(cfg)
	if err != nil {
		t.Fatalf("creating the client: %v", err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// readAll reads every record of a module into a map by id.
func readAll(t *testing.T, c *zoho.Client, module string) (
	map[string]map[string]any, zoho.FetchStats) {
	t.Helper()
	fields, err := c.Fields(ctx(t), module)
	if err != nil {
		t.Fatalf("fields of %s: %v", module, err)
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.APIName
	}
	got := map[string]map[string]any{}
	st, err := c.Records(ctx(t), zoho.RecordQuery{Module: module, Fields: names},
		func(p zoho.Page) error {
			for _, r := range p.Records {
				m, err := r.Decode()
				if err != nil {
					return err
				}
				if _, dup := got[r.ID()]; dup {
					t.Errorf("%s %s delivered twice", module, r.ID())
				}
				got[r.ID()] = m
			}
			return nil
		})
	if err != nil {
		t.Fatalf("records of %s: %v", module, err)
	}
	return got, st
}

// truth returns the simulator's records of a module: their keys by id.
func truth(t *testing.T, s *zohosim.Server, module string) map[string][]string {
	t.Helper()
	want := map[string][]string{}
	err := s.Sim.EachRecord(module, func(rec map[string]any) error {
		want[rec["id"].(string)] = slices.Sorted(maps.Keys(rec))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return want
}

func TestRecordsReadPastTwoThousandWithPageToken(t *testing.T) {
	s := sim(t, zohosim.Config{})
	c := client(t, s, nil)
	got, st := readAll(t, c, "Contacts")
	want := truth(t, s, "Contacts")
	if len(want) <= 2000 {
		t.Fatalf("Contacts has %d records; the test needs more than 2000", len(want))
	}
	if len(got) != len(want) {
		t.Errorf("read %d Contacts, simulator has %d", len(got), len(want))
	}
	for id := range want {
		if _, ok := got[id]; !ok {
			t.Errorf("Contact %s not read", id)
			break
		}
	}
	if st.Pages < len(want)/zoho.MaxPerPage {
		t.Errorf("%d pages for %d records", st.Pages, len(want))
	}
}

func TestRecordsMergeFieldGroups(t *testing.T) {
	s := sim(t, zohosim.Config{})
	c := client(t, s, nil)
	wide := 0
	for _, module := range s.Sim.Modules() {
		fields, err := c.Fields(ctx(t), module)
		if err != nil {
			t.Fatal(err)
		}
		if len(fields) <= zoho.MaxFields {
			continue
		}
		wide++
		t.Run(module, func(t *testing.T) {
			got, st := readAll(t, c, module)
			if st.Groups < 2 {
				t.Errorf("%d fields read in %d group", len(fields), st.Groups)
			}
			want := truth(t, s, module)
			if len(got) != len(want) {
				t.Fatalf("read %d records, simulator has %d", len(got), len(want))
			}
			for id, keys := range want {
				if have := slices.Sorted(maps.Keys(got[id])); !slices.Equal(have, keys) {
					t.Fatalf("record %s has fields\n%v\nwant\n%v", id, have, keys)
				}
			}
		})
	}
	if wide == 0 {
		t.Fatal("no module has more than 50 fields")
	}
}

func TestTokenIsCachedAcrossCalls(t *testing.T) {
	s := sim(t, zohosim.Config{})
	c := client(t, s, nil)
	for range 20 {
		if _, err := c.Modules(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Sim.Stats().Refreshes; n != 1 {
		t.Errorf("%d token refreshes for 20 calls, want 1", n)
	}
}

func TestShortLivedTokenIsRefreshedBeforeExpiry(t *testing.T) {
	s := sim(t, zohosim.Config{TokenTTL: 2 * time.Second})
	c := client(t, s, nil)
	deadline := time.Now().Add(3 * time.Second)
	calls := 0
	for time.Now().Before(deadline) {
		if _, err := c.Modules(ctx(t)); err != nil {
			t.Fatal(err)
		}
		calls++
		time.Sleep(50 * time.Millisecond)
	}
	st := s.Sim.Stats()
	if st.Unauthorized != 0 {
		t.Errorf("%d calls refused: the token was not refreshed before it expired",
			st.Unauthorized)
	}
	if st.Refreshes < 2 || st.Refreshes > 4 {
		t.Errorf("%d refreshes in 3s of a 2s token over %d calls, want 2 to 4",
			st.Refreshes, calls)
	}
}

func TestRejectedTokenIsRefreshedOnce(t *testing.T) {
	s := sim(t, zohosim.Config{})
	c := client(t, s, nil)
	if _, err := c.Modules(ctx(t)); err != nil {
		t.Fatal(err)
	}
	s.Sim.ExpireTokens()
	if _, err := c.Modules(ctx(t)); err != nil {
		t.Fatalf("call after the token was revoked: %v", err)
	}
	if st := s.Sim.Stats(); st.Refreshes != 2 || st.Unauthorized != 1 {
		t.Errorf("refreshes %d, unauthorized %d; want 2 and 1", st.Refreshes, st.Unauthorized)
	}
}

func TestTokenErrorsWithStatus200AreErrors(t *testing.T) {
	const secret = "s3cret-refresh-token"
	s := sim(t, zohosim.Config{})
	c := client(t, s, func(c *zoho.Config) { c.RefreshToken = secret })
	_, err := c.Modules(ctx(t))
	if !errors.Is(err, zoho.ErrToken) {
		t.Fatalf("error %v, want ErrToken", err)
	}
	if !strings.Contains(err.Error(), "invalid_code") {
		t.Errorf("error %q does not name Zoho's code", err)
	}
	for _, cred := range []string{secret, "sim"} {
		if strings.Contains(err.Error(), "="+cred) || strings.Contains(err.Error(), secret) {
			t.Errorf("error %q quotes a credential", err)
		}
	}
}

func TestRetriesEndInTheBudget(t *testing.T) {
	s := sim(t, zohosim.Config{Faults: zohosim.Faults{ErrorRate: 1}})
	c := client(t, s, func(c *zoho.Config) { c.RetryBudget = 300 * time.Millisecond })
	start := time.Now()
	_, err := c.Modules(ctx(t))
	if !errors.Is(err, zoho.ErrRetryBudget) {
		t.Fatalf("error %v, want ErrRetryBudget", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("gave up after %s with a 300ms budget", took)
	}
	if u := c.Usage(); u.Retries == 0 || u.Calls != u.Retries+1 {
		t.Errorf("usage %+v: want retries, and one call more than retries", u)
	}
}

func TestMalformedPageNamesModuleAndPage(t *testing.T) {
	s := sim(t, zohosim.Config{Faults: zohosim.Faults{MalformedModule: "Leads",
		MalformedPage: 3}})
	c := client(t, s, nil)
	_, err := c.Records(ctx(t), zoho.RecordQuery{Module: "Leads", Fields: []string{"Last_Name"}},
		func(zoho.Page) error { return nil })
	if !errors.Is(err, zoho.ErrMalformed) {
		t.Fatalf("error %v, want ErrMalformed", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "page 3 of Leads") {
		t.Errorf("error %q does not name the page and module", msg)
	}
}

func TestConcurrencyStaysWithinTheLimit(t *testing.T) {
	s := sim(t, zohosim.Config{Latency: zohosim.Latency{Min: 5 * time.Millisecond,
		Max: 10 * time.Millisecond}})
	c := client(t, s, func(c *zoho.Config) { c.Concurrency = 4 })
	done := make(chan error)
	for _, m := range s.Sim.Modules() {
		go func() {
			_, err := c.Records(ctx(t), zoho.RecordQuery{Module: m, Fields: []string{"Owner"}},
				func(zoho.Page) error { return nil })
			done <- err
		}()
	}
	for range s.Sim.Modules() {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	st := s.Sim.Stats()
	if st.PeakInFlight > 4 || st.Throttled > 0 {
		t.Errorf("peak %d calls in flight, %d throttled; limit 4", st.PeakInFlight, st.Throttled)
	}
	if st.PeakInFlight < 4 {
		t.Errorf("peak %d calls in flight: the limit of 4 was not used", st.PeakInFlight)
	}
}

func TestDataCentres(t *testing.T) {
	for _, tc := range []struct{ name, accounts string }{
		{"com", "https://accounts.zoho.com"}, {"eu", "https://accounts.zoho.eu"},
		{"in", "https://accounts.zoho.in"}, {"com.au", "https://accounts.zoho.com.au"},
		{"jp", "https://accounts.zoho.jp"}, {"ca", "https://accounts.zohocloud.ca"},
		{"sa", "https://accounts.zoho.sa"}, {"com.cn", "https://accounts.zoho.com.cn"},
		{"uk", "https://accounts.zoho.uk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dc, err := zoho.LookupDataCenter(tc.name)
			if err != nil || dc.AccountsURL != tc.accounts {
				t.Errorf("LookupDataCenter(%q) = %+v, %v", tc.name, dc, err)
			}
		})
	}
	if _, err := zoho.LookupDataCenter("mars"); !errors.Is(err, zoho.ErrConfig) {
		t.Errorf("unknown data centre: %v, want ErrConfig", err)
	}
}

func TestConfigKeepsCredentialsOutOfStrings(t *testing.T) {
	cfg := zoho.Config{ClientID: "id-123", ClientSecret: "secret-456", RefreshToken: "rt-789"}
	for _, s := range []string{cfg.String(), cfg.GoString()} {
		for _, cred := range []string{"id-123", "secret-456", "rt-789"} {
			if strings.Contains(s, cred) {
				t.Errorf("%q shows %s", s, cred)
			}
		}
	}
}

// ids reads a query and returns the ids it delivered, in order.
func ids(t *testing.T, c *zoho.Client, q zoho.RecordQuery) []string {
	t.Helper()
	var out []string
	_, err := c.Records(ctx(t), q, func(p zoho.Page) error {
		for _, r := range p.Records {
			out = append(out, r.ID())
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading %+v: %v", q, err)
	}
	return out
}

func TestFirstPagesByNumberReadTheSameRecords(t *testing.T) {
	s := sim(t, zohosim.Config{})
	c := client(t, s, nil)
	q := zoho.RecordQuery{Module: "Leads", Fields: []string{"Last_Name", "Owner"}}
	want := ids(t, c, q)
	for _, pages := range []int{2, 10, 50, 80} {
		q.Pages = pages
		calls := c.Usage().Calls
		if got := ids(t, c, q); !slices.Equal(got, want) {
			t.Errorf("with %d pages expected: %d ids, want the %d of a plain read", pages,
				len(got), len(want))
		}
		if pages <= 50 && c.Usage().Calls-calls != 50 {
			t.Errorf("with %d pages expected: %d calls for 50 pages", pages,
				c.Usage().Calls-calls)
		}
	}
}

func TestSlicesOfModifiedTimeCoverTheModule(t *testing.T) {
	s := sim(t, zohosim.Config{})
	c := client(t, s, nil)
	fields, err := c.Fields(ctx(t), "Contacts")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fields {
		names = append(names, f.APIName)
	}
	all := ids(t, c, zoho.RecordQuery{Module: "Contacts", Fields: []string{"Last_Name"}})
	cut := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	first := ids(t, c, zoho.RecordQuery{Module: "Contacts", Fields: names, Until: cut})
	rest := ids(t, c, zoho.RecordQuery{Module: "Contacts", Fields: names, Since: cut})
	if len(first) == 0 || len(rest) == 0 {
		t.Fatalf("slices of %d and %d records", len(first), len(rest))
	}
	got := slices.Sorted(slices.Values(append(first, rest...)))
	if want := slices.Sorted(slices.Values(all)); !slices.Equal(got, want) {
		t.Errorf("slices hold %d records, the module %d", len(got), len(want))
	}
	if st := s.Sim.Stats(); st.Throttled != 0 {
		t.Errorf("%d calls throttled", st.Throttled)
	}
}
