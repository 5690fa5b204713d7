package zohosim

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRecordErrors(t *testing.T) {
	srv := startServer(t, Config{})
	c := newClient(t, srv)
	f51 := fieldList(srv.Sim, "Contacts", 51)
	tests := []struct {
		name    string
		method  string
		path    string
		status  int
		code    string
		details map[string]any
	}{
		{"fields missing", "GET", "/crm/v8/Contacts", 400, "REQUIRED_PARAM_MISSING",
			map[string]any{"param_name": "fields"}},
		{"more than 50 fields", "GET", "/crm/v8/Contacts?fields=" + f51, 400,
			"LIMIT_EXCEEDED", map[string]any{"limit": 50, "param_name": "fields"}},
		{"unknown field", "GET", "/crm/v8/Contacts?fields=Nope", 400, "INVALID_DATA",
			map[string]any{"api_name": "Nope"}},
		{"per_page 0", "GET", "/crm/v8/Contacts?fields=Email&per_page=0", 400,
			"INVALID_DATA", map[string]any{"param_name": "per_page"}},
		{"per_page 201", "GET", "/crm/v8/Contacts?fields=Email&per_page=201", 400,
			"INVALID_DATA", map[string]any{"param_name": "per_page"}},
		{"page past 2000 records", "GET", "/crm/v8/Contacts?fields=Email&page=11", 400,
			"DISCRETE_PAGINATION_LIMIT_EXCEEDED", map[string]any{"limit": 2000}},
		{"page and page_token", "GET", "/crm/v8/Contacts?fields=Email&page=1&page_token=x",
			400, "AMBIGUITY_DURING_PROCESSING", nil},
		{"cvid and sort_by", "GET", "/crm/v8/Contacts?fields=Email&cvid=1&sort_by=id", 400,
			"AMBIGUITY_DURING_PROCESSING", nil},
		{"bad sort_by", "GET", "/crm/v8/Contacts?fields=Email&sort_by=Email", 400,
			"INVALID_DATA", map[string]any{"param_name": "sort_by"}},
		{"bad sort_order", "GET", "/crm/v8/Contacts?fields=Email&sort_order=up", 400,
			"INVALID_DATA", map[string]any{"param_name": "sort_order"}},
		{"forged page_token", "GET", "/crm/v8/Contacts?fields=Email&page_token=abc", 400,
			"INVALID_DATA", map[string]any{"param_name": "page_token"}},
		{"unknown module", "GET", "/crm/v8/Nope?fields=Email", 400, "INVALID_MODULE",
			map[string]any{"resource_path_index": 0}},
		{"users are not a record module", "GET", "/crm/v8/Users?fields=Email", 400,
			"INVALID_MODULE", nil},
		{"module not api_supported", "GET", "/crm/v8/Home?fields=Email", 400,
			"INVALID_MODULE", nil},
		{"unknown deleted module", "GET", "/crm/v8/Nope/deleted", 400, "INVALID_MODULE", nil},
		{"unknown path", "GET", "/crm/v8/settings/nope", 404, "INVALID_URL_PATTERN", nil},
		{"path outside the API", "GET", "/nope", 404, "INVALID_URL_PATTERN", nil},
		{"deep path", "GET", "/crm/v8/Contacts/1/Notes/x", 404, "INVALID_URL_PATTERN", nil},
		{"wrong method", "POST", "/crm/v8/Contacts", 405, "INVALID_REQUEST_METHOD", nil},
		{"other API version", "GET", "/crm/v2/Contacts", 400, "API_NOT_SUPPORTED",
			map[string]any{"supported_version": "v8"}},
		{"bad If-Modified-Since", "GET", "/crm/v8/Contacts?fields=Email", 400,
			"INVALID_DATA", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.name == "bad If-Modified-Since" {
				hdr["If-Modified-Since"] = "yesterday"
			}
			status, body, _ := c.do(tt.method, tt.path, nil, hdr)
			checkError(t, status, body, tt.status, tt.code, tt.details)
		})
	}
}

func TestRecordEmptyAnswers(t *testing.T) {
	srv := startServer(t, Config{})
	c := newClient(t, srv)
	tests := []struct {
		name   string
		path   string
		since  string
		status int
	}{
		{"module without records", "/crm/v8/Vendors?fields=Email", "", 204},
		{"nothing modified since", "/crm/v8/Contacts?fields=Email", "2030-01-01T00:00:00+05:30",
			304},
		{"deleted feed of an empty module", "/crm/v8/Vendors/deleted", "", 204},
		{"record id that does not exist", "/crm/v8/Contacts/1234567890123456789", "", 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.since != "" {
				hdr["If-Modified-Since"] = tt.since
			}
			status, body := c.get(tt.path, hdr)
			if status != tt.status || len(body) != 0 {
				t.Fatalf("got %d with %d bytes, want %d with an empty body",
					status, len(body), tt.status)
			}
		})
	}
}

var (
	idPattern   = regexp.MustCompile(`^[1-9][0-9]{18}$`)
	timePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30$`)
)

func TestRecordPageShape(t *testing.T) {
	srv := startServer(t, Config{})
	c := newClient(t, srv)
	status, body := c.get("/crm/v8/Contacts?fields=Last_Name,Modified_Time,Account_Name", nil)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	p := decodePage(t, body)
	if len(p.Data) != 200 {
		t.Fatalf("got %d records, want the default 200", len(p.Data))
	}
	for _, k := range []string{"per_page", "count", "page", "sort_by", "sort_order",
		"more_records", "next_page_token", "previous_page_token", "page_token_expiry"} {
		if _, ok := p.Info[k]; !ok {
			t.Errorf("info has no %q: %v", k, p.Info)
		}
	}
	if p.Info["sort_by"] != "id" || p.Info["sort_order"] != "desc" ||
		p.Info["more_records"] != true || p.Info["count"] != 200.0 || p.Info["page"] != 1.0 {
		t.Errorf("info = %v", p.Info)
	}
	if tok, _ := p.Info["next_page_token"].(string); tok == "" || len(tok) > 96 {
		t.Errorf("next_page_token %q: want 1 to 96 characters", tok)
	}
	prev := ""
	for _, rec := range p.Data {
		for k := range rec {
			switch {
			case k == "Last_Name", k == "Modified_Time", k == "Account_Name", k == "id":
			case strings.HasPrefix(k, "$"):
			default:
				t.Fatalf("record has unrequested field %q", k)
			}
		}
		id, _ := rec["id"].(string)
		if !idPattern.MatchString(id) {
			t.Fatalf("id %q is not a 19-digit string", id)
		}
		if prev != "" && id >= prev {
			t.Fatalf("ids not descending: %s after %s", id, prev)
		}
		prev = id
		if mt, _ := rec["Modified_Time"].(string); !timePattern.MatchString(mt) {
			t.Fatalf("Modified_Time %q is not second-resolution with +05:30", mt)
		}
	}
}

func TestRecordOffsetConfig(t *testing.T) {
	srv := startServer(t, Config{Offset: "-07:00"})
	c := newClient(t, srv)
	_, body := c.get("/crm/v8/Leads?fields=Created_Time&per_page=1", nil)
	created, _ := decodePage(t, body).Data[0]["Created_Time"].(string)
	if !strings.HasSuffix(created, "-07:00") {
		t.Fatalf("Created_Time %q does not carry the organisation's offset", created)
	}
}

// collect pages a module with page_token and returns the records.
func collect(t *testing.T, c *client, path string, hdr map[string]string) []map[string]any {
	t.Helper()
	var out []map[string]any
	next := path
	for {
		status, body := c.get(next, hdr)
		if status == http.StatusNoContent || status == http.StatusNotModified {
			return out
		}
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", next, status, body)
		}
		p := decodePage(t, body)
		out = append(out, p.Data...)
		if p.Info["more_records"] != true {
			return out
		}
		next = path + "&page_token=" + p.Info["next_page_token"].(string)
	}
}

func TestRecordSorting(t *testing.T) {
	srv := startServer(t, Config{})
	c := newClient(t, srv)
	tests := []struct {
		query string
		key   string
		desc  bool
	}{
		{"sort_by=Modified_Time&sort_order=asc", "Modified_Time", false},
		{"sort_by=Modified_Time", "Modified_Time", true},
		{"sort_by=Created_Time&sort_order=asc", "Created_Time", false},
		{"sort_by=id&sort_order=asc", "id", false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			recs := collect(t, c, "/crm/v8/Deals?fields=Modified_Time,Created_Time&"+
				tt.query, nil)
			if len(recs) != 5000 {
				t.Fatalf("got %d Deals, want 5000", len(recs))
			}
			for i := 1; i < len(recs); i++ {
				a, b := recs[i-1][tt.key].(string), recs[i][tt.key].(string)
				if tt.key != "id" {
					a, b = utc(t, a), utc(t, b)
				}
				if tt.desc && a < b || !tt.desc && a > b {
					t.Fatalf("record %d: %s then %s is out of order", i, a, b)
				}
			}
		})
	}
}

// utc normalises a Zoho timestamp for comparison.
func utc(t *testing.T, s string) string {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts.UTC().Format(time.RFC3339)
}

func TestRecordIfModifiedSince(t *testing.T) {
	srv := startServer(t, Config{})
	c := newClient(t, srv)
	since := "2024-06-01T12:00:00+05:30"
	cut, _ := time.Parse(time.RFC3339, since)
	want := 0
	err := srv.Sim.EachRecord("Contacts", func(rec map[string]any) error {
		mt, _ := time.Parse(time.RFC3339, rec["Modified_Time"].(string))
		if mt.After(cut) {
			want++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, order := range []string{"", "&sort_by=Modified_Time&sort_order=asc",
		"&sort_by=Modified_Time", "&sort_by=id&sort_order=asc"} {
		t.Run("order "+order, func(t *testing.T) {
			got := collect(t, c, "/crm/v8/Contacts?fields=Modified_Time"+order,
				map[string]string{"If-Modified-Since": since})
			if len(got) != want || want == 0 {
				t.Fatalf("got %d records modified after %s, want %d", len(got), since, want)
			}
			for _, rec := range got {
				mt, _ := time.Parse(time.RFC3339, rec["Modified_Time"].(string))
				if !mt.After(cut) {
					t.Fatalf("record modified at %s is not after %s", mt, since)
				}
			}
		})
	}
}

func TestPageTokensAcrossMutations(t *testing.T) {
	clock := newClock()
	srv := startServer(t, Config{Now: clock.Now})
	c := newClient(t, srv)
	for _, order := range []string{"sort_by=id&sort_order=asc", "sort_by=Modified_Time"} {
		t.Run(order, func(t *testing.T) {
			path := "/crm/v8/Leads?fields=Last_Name&" + order
			before := map[string]bool{}
			_ = srv.Sim.EachRecordJSON("Leads", func(id string, _ []byte) error {
				before[id] = true
				return nil
			})
			// moved: updated while paging by Modified_Time desc, so moved behind us.
			seen, deleted, moved := map[string]bool{}, map[string]bool{}, map[string]bool{}
			next := path
			for {
				status, body := c.get(next, nil)
				if status != 200 {
					t.Fatalf("%d %s", status, body)
				}
				p := decodePage(t, body)
				for _, rec := range p.Data {
					id := rec["id"].(string)
					if seen[id] {
						t.Fatalf("record %s returned twice", id)
					}
					seen[id] = true
				}
				if p.Info["more_records"] != true {
					break
				}
				clock.advance(time.Second)
				ch, err := srv.Sim.Mutate(MutateSpec{Update: 0.002, Delete: 0.001,
					Create: 0.001, Modules: []string{"Leads"}})
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range ch.Deleted["Leads"] {
					deleted[id] = true
				}
				for _, id := range ch.Modified("Leads") {
					moved[id] = strings.Contains(order, "Modified")
				}
				next = path + "&page_token=" + p.Info["next_page_token"].(string)
			}
			for id := range before {
				if !seen[id] && !deleted[id] && !moved[id] {
					t.Fatalf("record %s, never deleted, was skipped", id)
				}
			}
		})
	}
}

func TestPageTokens(t *testing.T) {
	clock := newClock()
	srv := startServer(t, Config{Now: clock.Now})
	c := newClient(t, srv)
	first := "/crm/v8/Leads?fields=Last_Name&per_page=100"
	_, body := c.get(first, nil)
	p1 := decodePage(t, body)
	tok := p1.Info["next_page_token"].(string)

	t.Run("next and previous", func(t *testing.T) {
		_, body := c.get(first+"&page_token="+tok, nil)
		p2 := decodePage(t, body)
		if p2.Info["page"] != 2.0 || p2.Data[0]["id"] == p1.Data[0]["id"] {
			t.Fatalf("page 2 info %v", p2.Info)
		}
		prev, _ := p2.Info["previous_page_token"].(string)
		_, body = c.get(first+"&page_token="+prev, nil)
		back := decodePage(t, body)
		if back.Data[0]["id"] != p1.Data[0]["id"] || len(back.Data) != 100 {
			t.Fatalf("previous_page_token did not lead back to page 1")
		}
	})
	t.Run("page then page_token", func(t *testing.T) {
		_, body := c.get(first+"&page=3", nil)
		p3 := decodePage(t, body)
		tok3 := p3.Info["next_page_token"].(string)
		_, body = c.get(first+"&page_token="+tok3, nil)
		if p4 := decodePage(t, body); p4.Info["page"] != 4.0 {
			t.Fatalf("page after page 3 is %v", p4.Info["page"])
		}
	})
	t.Run("bound to the other parameters", func(t *testing.T) {
		status, body := c.get("/crm/v8/Leads?fields=Email&per_page=100&page_token="+tok, nil)
		checkError(t, status, body, 400, "TOKEN_BOUND_DATA_MISMATCH", nil)
		status, body = c.get("/crm/v8/Leads?fields=Last_Name&page_token="+tok, nil)
		checkError(t, status, body, 400, "TOKEN_BOUND_DATA_MISMATCH", nil)
	})
	t.Run("past 100,000 records", func(t *testing.T) {
		q, _ := srv.Sim.parseList(mustRequest(t, first), srv.Sim.data.byAPI["Leads"])
		far := pageToken{expires: clock.Now().Add(time.Hour).UnixMilli(), bind: q.bind,
			cur: cursor{key: 5, idx: 5, served: maxTokenRecords}}
		status, body := c.get(first+"&page_token="+far.encode(srv.Sim.key), nil)
		checkError(t, status, body, 400, "PAGINATION_LIMIT_EXCEEDED",
			map[string]any{"limit": 100000})
	})
	t.Run("expires after 24 hours", func(t *testing.T) {
		clock.advance(24*time.Hour + time.Second)
		c.refresh()
		status, body := c.get(first+"&page_token="+tok, nil)
		checkError(t, status, body, 400, "EXPIRED_VALUE", nil)
	})
}

// mustRequest builds a GET request for in-package parsing.
func mustRequest(t *testing.T, path string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, "http://sim"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRecordsByID(t *testing.T) {
	srv := startServer(t, Config{})
	c := newClient(t, srv)
	d := srv.Sim.data
	a, b := d.idString(3, 10), d.idString(3, 20)
	_, body := c.get("/crm/v8/Contacts?fields=Last_Name&ids="+a+","+b, nil)
	if p := decodePage(t, body); len(p.Data) != 2 || p.Data[0]["id"] != a {
		t.Fatalf("ids answer %s", body)
	}
	status, body := c.get("/crm/v8/Contacts/"+a, nil)
	rec := decodePage(t, body).Data[0]
	if status != 200 || rec["id"] != a || len(rec) < 80 {
		t.Fatalf("single record: %d with %d keys", status, len(rec))
	}
}
