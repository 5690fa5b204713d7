package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/graph"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
	"github.com/crmgraph/crmgraph/relinker/neo4jw"
	"github.com/crmgraph/crmgraph/relinker/park"
	"github.com/crmgraph/crmgraph/relinker/relink"
)

const relinkerSource = "zoho"

// relinkerTypes is the test's own statement of the relationship types the
// default mapping must give the simulator's fields (module.field, or
// "*.field" for every module). It is written out here rather than read
// from package mapping, so the test checks the mapping instead of
// repeating it.
var relinkerTypes = map[string]string{
	"*.Owner":                   "OWNED_BY",
	"Accounts.Parent_Account":   "CHILD_OF",
	"Contacts.Account_Name":     "WORKS_AT",
	"Contacts.Reporting_To":     "REPORTS_TO",
	"Deals.Account_Name":        "FOR_ACCOUNT",
	"Deals.Contact_Name":        "HAS_CONTACT",
	"Deals.Campaign_Source":     "FROM_CAMPAIGN",
	"Campaigns.Parent_Campaign": "CHILD_OF",
	"*.What_Id":                 "ABOUT",
	"*.Who_Id":                  "WITH",
	"Notes.Parent_Id":           "NOTE_ON",
	"Projects__c.Account__c":    "LOOKUP_ACCOUNT__C",
}

// relinkerWant returns the relationships the simulator's data implies
// now, as relinkerRel strings, sorted.
func relinkerWant(t testing.TB, sim *zohosim.Sim) []string {
	t.Helper()
	var out []string
	err := sim.EachLink(func(l zohosim.Link) error {
		typ, ok := relinkerTypes[l.FromModule+"."+l.Field]
		if !ok {
			typ, ok = relinkerTypes["*."+l.Field]
		}
		if !ok {
			return fmt.Errorf("no expected type for %s.%s", l.FromModule, l.Field)
		}
		out = append(out, relinkerRel(graph.DefaultLabel(l.FromModule), l.FromID, typ, l.Field,
			graph.DefaultLabel(l.ToModule), l.ToID))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func relinkerRel(fromLabel, fromID, typ, field, toLabel, toID string) string {
	return fromLabel + ":" + fromID + " -" + typ + "/" + field + "-> " + toLabel + ":" + toID
}

// relinkerGraph returns every relationship of the graph, sorted.
func relinkerGraph(t testing.TB, d neo4j.DriverWithContext) []string {
	t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), d,
		"MATCH (a)-[r]->(b) RETURN labels(a)[0], a.id, type(r), coalesce(r._field, '-'), "+
			"coalesce(r._source, '-'), labels(b)[0], b.id",
		nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(neo4jtest.Database))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(res.Records))
	for _, r := range res.Records {
		v := r.Values
		if v[4] != relinkerSource {
			t.Fatalf("relationship without _source %s: %v", relinkerSource, v)
		}
		out = append(out, relinkerRel(v[0].(string), v[1].(string), v[2].(string),
			v[3].(string), v[5].(string), v[6].(string)))
	}
	slices.Sort(out)
	return out
}

// relinkerSame fails the test with a short diff when got and want differ.
func relinkerSame(t testing.TB, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	var missing, extra []string
	g, w := 0, 0
	for g < len(got) || w < len(want) {
		switch {
		case w == len(want) || (g < len(got) && got[g] < want[w]):
			extra = append(extra, got[g])
			g++
		case g == len(got) || want[w] < got[g]:
			missing = append(missing, want[w])
			w++
		default:
			g++
			w++
		}
	}
	t.Fatalf("graph has %d relationships, want %d: %d missing (first %v), %d extra (first %v)",
		len(got), len(want), len(missing), relinkerHead(missing), len(extra), relinkerHead(extra))
}

func relinkerHead(s []string) []string { return s[:min(3, len(s))] }

func relinkerJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// relinkerEnv is a simulator, an embedded JetStream server and the real
// Neo4j, with the simulator's schemas published.
type relinkerEnv struct {
	sim    *zohosim.Sim
	ns     *natstest.Server
	driver neo4j.DriverWithContext
}

func relinkerSetup(t testing.TB) *relinkerEnv {
	t.Helper()
	sim, err := zohosim.New(zohosim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ns := natstest.Start(t)
	ns.Setup(t)
	e := &relinkerEnv{sim: sim, ns: ns, driver: neo4jtest.Open(t)}
	e.publishSchemas(t)
	for _, m := range e.modules() {
		l := graph.DefaultLabel(m)
		e.cypher(t, fmt.Sprintf("CREATE CONSTRAINT crmgraph_%s_id IF NOT EXISTS "+
			"FOR (n:%s) REQUIRE n.id IS UNIQUE", l, l), nil)
	}
	return e
}

func (e *relinkerEnv) modules() []string {
	return append([]string{"Users"}, e.sim.Modules()...)
}

func (e *relinkerEnv) cypher(t testing.TB, q string, params map[string]any) {
	t.Helper()
	_, err := neo4j.ExecuteQuery(context.Background(), e.driver, q, params,
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(neo4jtest.Database))
	if err != nil {
		t.Fatalf("running %q: %v", q, err)
	}
}

// publishSchemas asks the simulator's settings/fields endpoint for every
// module's fields, as the extractor does, and publishes them.
func (e *relinkerEnv) publishSchemas(t testing.TB) {
	t.Helper()
	h := e.sim.Handler()
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {"sim"},
		"client_secret": {"sim"}, "refresh_token": {"sim-refresh"}}
	req := httptest.NewRequest(http.MethodPost, "/oauth/v2/token",
		strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("simulator token: %d %s", rec.Code, rec.Body)
	}
	for _, m := range e.sim.Modules() {
		req := httptest.NewRequest(http.MethodGet, "/crm/v8/settings/fields?module="+m, nil)
		req.Header.Set("Authorization", "Zoho-oauthtoken "+tok.AccessToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body struct {
			Fields []struct {
				APIName  string `json:"api_name"`
				DataType string `json:"data_type"`
				JSONType string `json:"json_type"`
				Custom   bool   `json:"custom_field"`
				Lookup   struct {
					Module struct {
						APIName string `json:"api_name"`
					} `json:"module"`
				} `json:"lookup"`
			} `json:"fields"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("fields of %s: %d %s", m, rec.Code, rec.Body)
		}
		s := &events.Schema{Source: relinkerSource, Module: m, Run: "schema"}
		for _, f := range body.Fields {
			s.Fields = append(s.Fields, events.Field{APIName: f.APIName, DataType: f.DataType,
				JSONType: f.JSONType, LookupModule: f.Lookup.Module.APIName, Custom: f.Custom})
		}
		msg, err := s.Msg()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.ns.JS.PublishMsg(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
}

// relinkerRecord is one record event to publish.
type relinkerRecord struct {
	module, id string
	body       []byte // nil: a tombstone
}

// publishRun publishes a run's record events (asynchronously, then waits
// for every acknowledgement) and returns the loaded marker for them.
func (e *relinkerEnv) publishRun(t testing.TB, run string, recs []relinkerRecord) *events.Marker {
	t.Helper()
	m := &events.Marker{Source: relinkerSource, Run: run, Stage: events.StageLoaded,
		Mode: events.ModeFull}
	futures := make([]jetstream.PubAckFuture, 0, len(recs))
	for _, r := range recs {
		ev := events.RecordEvent{Key: events.RecordKey{Source: relinkerSource, Module: r.module,
			ID: r.id}, Op: events.OpUpsert, Run: run, Body: r.body}
		if r.body == nil {
			ev.Op, ev.Body = events.OpDelete, []byte(`{"id":"`+r.id+`"}`)
		}
		var err error
		if ev.Hash, err = events.CanonicalHash(ev.Body); err != nil {
			t.Fatal(err)
		}
		msg, err := ev.Msg()
		if err != nil {
			t.Fatal(err)
		}
		f, err := e.ns.JS.PublishMsgAsync(msg, jetstream.WithStallWait(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case ack := <-f.Ok():
			if m.FirstSeq == 0 || ack.Sequence < m.FirstSeq {
				m.FirstSeq = ack.Sequence
			}
			m.LastSeq = max(m.LastSeq, ack.Sequence)
		case err := <-f.Err():
			t.Fatal(err)
		}
	}
	return m
}

// allRecords returns every live record of the simulator as record events.
func (e *relinkerEnv) allRecords(t testing.TB) []relinkerRecord {
	t.Helper()
	var out []relinkerRecord
	for _, m := range e.modules() {
		err := e.sim.EachRecord(m, func(rec map[string]any) error {
			b, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			out = append(out, relinkerRecord{module: m, id: rec["id"].(string), body: b})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// loadNodes stands in for the loader: it merges a node per upserted record
// and detach-deletes the node of every tombstone.
func (e *relinkerEnv) loadNodes(t testing.TB, recs []relinkerRecord) {
	t.Helper()
	merge, drop := map[string][]any{}, map[string][]any{}
	for _, r := range recs {
		l := graph.DefaultLabel(r.module)
		if r.body == nil {
			drop[l] = append(drop[l], r.id)
		} else {
			merge[l] = append(merge[l], r.id)
		}
	}
	for l, ids := range merge {
		e.cypher(t, "UNWIND $ids AS id MERGE (n:"+l+" {id: id})", map[string]any{"ids": ids})
	}
	for l, ids := range drop {
		e.cypher(t, "UNWIND $ids AS id MATCH (n:"+l+" {id: id}) DETACH DELETE n",
			map[string]any{"ids": ids})
	}
}

// relinker returns a relinker over the env with the given writer and
// chunk settings.
func (e *relinkerEnv) relinker(t testing.TB, batch, parallel, chunk int) (*relink.Relinker,
	*neo4jw.Writer) {
	t.Helper()
	w, err := neo4jw.New(e.driver, neo4jw.Config{Database: neo4jtest.Database,
		BatchSize: batch, Parallel: parallel})
	if err != nil {
		t.Fatal(err)
	}
	p, err := park.Open(context.Background(), e.ns.JS)
	if err != nil {
		t.Fatal(err)
	}
	r, err := relink.New(relink.Config{Source: relinkerSource, ChunkSize: chunk, Who: "e2e"},
		e.ns.JS, w, p, relinkerLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r, w
}

// relinkerLog discards the relinker's log unless RELINKER_LOG=debug.
func relinkerLog() *slog.Logger {
	if os.Getenv("RELINKER_LOG") == "debug" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
