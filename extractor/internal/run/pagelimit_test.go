package run_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/run"
	"github.com/crmgraph/crmgraph/extractor/internal/testenv"
	"github.com/crmgraph/crmgraph/extractor/zoho"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

// tokenLimit stands for Zoho's 100,000-record page token limit in these
// tests: every module of more than 3,000 records is read in several chains
// of pages.
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

// TestFirstFullRunReadsModulesPastThePageTokenLimit runs a first full run
// into an empty stream where Contacts (16,000 records), Leads, Accounts and
// others hold more records than one chain of pages reaches, and blocks of
// Contacts share one Modified_Time, so that chains end inside a second:
// with the modules probed and sliced, and with each read as one chain.
// Every record must be published exactly once with every field; a second
// full run, which knows the modules' sizes from the stream, must find
// nothing changed.
func TestFirstFullRunReadsModulesPastThePageTokenLimit(t *testing.T) {
	for _, noProbe := range []bool{false, true} {
		name := map[bool]string{false: "probed and sliced", true: "one chain a module"}
		t.Run(name[noProbe], func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			e := testenv.New(t, testenv.Options{
				Sim:  zohosim.Config{PageTokenLimit: tokenLimit, Now: clk.now},
				Zoho: func(c *zoho.Config) { c.PageTokenLimit = tokenLimit },
				Run:  func(c *run.Config) { c.NoProbe = noProbe },
			})
			for range 5 {
				clk.tick()
				_, err := e.Sim.Sim.Mutate(zohosim.MutateSpec{Update: 0.12,
					Modules: []string{"Contacts"}})
				if err != nil {
					t.Fatalf("updating Contacts: %v", err)
				}
			}
			checkPastTheLimit(t, e)
		})
	}
}

// TestFirstFullRunWithoutCOQLScope runs the same first full run with a
// token that lacks ZohoCRM.coql.READ: the probe is refused, and every
// module is read completely as one ordered chain.
func TestFirstFullRunWithoutCOQLScope(t *testing.T) {
	e := testenv.New(t, testenv.Options{
		Sim:  zohosim.Config{PageTokenLimit: tokenLimit, NoCOQLScope: true},
		Zoho: func(c *zoho.Config) { c.PageTokenLimit = tokenLimit },
	})
	checkPastTheLimit(t, e)
	if st := e.Sim.Sim.Stats(); st.Unauthorized == 0 {
		t.Errorf("the simulator refused no call: the probe was not tried (%+v)", st)
	}
}

// checkPastTheLimit runs two full runs and checks what they published.
func checkPastTheLimit(t *testing.T, e *testenv.Env) {
	t.Helper()
	counts := e.Sim.Sim.Counts()
	if counts.Records["Contacts"] <= 5*tokenLimit {
		t.Fatalf("Contacts holds %d records, want more than five chains' worth",
			counts.Records["Contacts"])
	}
	mk := execute(t, e.Runner, events.ModeFull)
	for module, n := range counts.Records {
		want := events.ModuleCounts{Fetched: n, Changed: n}
		if got := mk.Modules[module]; got != want {
			t.Errorf("marker counts of %s: %+v, want %+v", module, got, want)
		}
	}
	checkBodies(t, e, e.Events(t, 0))
	checkOnce(t, e)

	mk = execute(t, e.Runner, events.ModeFull)
	want := events.ModuleCounts{Fetched: seedRecords, Unchanged: seedRecords}
	if got := mk.Totals(); got != want {
		t.Errorf("second full run: marker totals %+v, want %+v", got, want)
	}
	checkOnce(t, e)
}

// checkOnce checks that the stream holds one record event per record.
func checkOnce(t *testing.T, e *testenv.Env) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := e.NATS.JS.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatalf("opening the stream: %v", err)
	}
	filter := "crm.rec." + testenv.Source + ".>"
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		t.Fatalf("reading the subjects of %s: %v", filter, err)
	}
	total, twice := 0, 0
	for subject, n := range info.State.Subjects {
		total += int(n)
		if n != 1 && strings.HasPrefix(subject, "crm.rec.") {
			if twice++; twice <= 3 {
				t.Errorf("%s: %d record events, want 1", subject, n)
			}
		}
	}
	if total != seedRecords || len(info.State.Subjects) != seedRecords {
		t.Errorf("stream holds %d record events on %d subjects, want %d of each",
			total, len(info.State.Subjects), seedRecords)
	}
}
