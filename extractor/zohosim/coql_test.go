package zohosim

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestCOQLErrors(t *testing.T) {
	srv := startServer(t, Config{})
	c := newClient(t, srv)
	tests := []struct {
		name    string
		query   string
		code    string
		details map[string]any
	}{
		{"no where clause", "select Last_Name from Contacts", "SYNTAX_ERROR",
			map[string]any{"clause": "where"}},
		{"no where, with limit", "select Last_Name from Contacts limit 10", "SYNTAX_ERROR",
			map[string]any{"clause": "where"}},
		{"three criteria without brackets", "select id from Contacts where id is not null " +
			"and Email is not null and Phone is not null", "SYNTAX_ERROR", nil},
		{"garbage", "selekt id frum Contacts", "SYNTAX_ERROR", nil},
		{"unterminated string", "select id from Contacts where Email = 'x", "SYNTAX_ERROR", nil},
		{"bad column", "select Nope from Contacts where id is not null", "INVALID_QUERY",
			map[string]any{"column_name": "Nope"}},
		{"bad criteria column", "select id from Contacts where Nope = 'x'", "INVALID_QUERY",
			map[string]any{"column_name": "Nope"}},
		{"bad time literal", "select id from Contacts where Modified_Time > 'soon'",
			"INVALID_QUERY", nil},
		{"limit over 2000", "select id from Contacts where id is not null limit 2001",
			"LIMIT_EXCEEDED", map[string]any{"limit": 2000}},
		{"past 100,000 via offset", "select id from Contacts where id is not null " +
			"limit 99000, 2000", "LIMIT_EXCEEDED", map[string]any{"limit": 100000}},
		{"duplicate order by", "select id from Contacts where id is not null " +
			"order by id, id", "DUPLICATE_DATA", nil},
		{"unknown module", "select id from Nope where id is not null", "INVALID_MODULE", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := c.coql(tt.query)
			checkError(t, status, body, 400, tt.code, tt.details)
		})
	}
}

// coqlPage is a decoded COQL answer.
type coqlPage struct {
	Data []map[string]any `json:"data"`
	Info struct {
		Count       int  `json:"count"`
		MoreRecords bool `json:"more_records"`
	} `json:"info"`
}

// runCOQL posts a query and decodes a 200 answer; a 204 gives an empty page.
func runCOQL(t *testing.T, c *client, q string) coqlPage {
	t.Helper()
	status, body := c.coql(q)
	var p coqlPage
	if status == 204 && len(body) == 0 {
		return p
	}
	if status != 200 || json.Unmarshal(body, &p) != nil {
		t.Fatalf("%s: %d %s", q, status, body)
	}
	return p
}

func TestCOQLAnswers(t *testing.T) {
	srv := startServer(t, Config{})
	c := newClient(t, srv)
	tests := []struct {
		name  string
		query string
		count int
		more  bool
	}{
		{"default limit", "select Last_Name from Contacts where id is not null", 200, true},
		{"limit offset, n", "select id from Campaigns where id is not null limit 150, 100",
			50, false},
		{"limit n offset m", "select id from Campaigns where id is not null limit 100 " +
			"offset 150", 50, false},
		{"lookup is not null", "select Account_Name from Contacts where Account_Name is " +
			"not null limit 2000", 2000, true},
		{"bracketed", "select id from Deals where ((Contact_Name is not null and " +
			"Account_Name is null) or Campaign_Source is not null) limit 2000", -1, false},
		{"picklist equality", "select Stage from Deals where Stage = 'Closed Won' limit 2000",
			-1, false},
		{"nothing matches", "select id from Deals where Modified_Time > " +
			"'2030-01-01T00:00:00+05:30'", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := runCOQL(t, c, tt.query)
			if tt.count >= 0 && (len(p.Data) != tt.count || p.Info.Count != tt.count) {
				t.Fatalf("got %d rows (info %d), want %d", len(p.Data), p.Info.Count, tt.count)
			}
			if tt.count < 0 && len(p.Data) == 0 {
				t.Fatal("no rows")
			}
			if p.Info.MoreRecords != tt.more {
				t.Fatalf("more_records %v, want %v", p.Info.MoreRecords, tt.more)
			}
		})
	}
	t.Run("row shape", func(t *testing.T) {
		p := runCOQL(t, c, "select Last_Name, Account_Name, Owner from Contacts where "+
			"Account_Name is not null limit 5")
		for _, row := range p.Data {
			acc, _ := row["Account_Name"].(map[string]any)
			owner, _ := row["Owner"].(map[string]any)
			if len(row) != 4 || len(acc) != 1 || acc["id"] == nil || len(owner) != 1 {
				t.Fatalf("row %v: want the selected columns and id, lookups as {id}", row)
			}
		}
	})
	t.Run("picklist values match", func(t *testing.T) {
		p := runCOQL(t, c, "select Stage from Deals where Stage = 'Closed Won' limit 2000")
		for _, row := range p.Data {
			if row["Stage"] != "Closed Won" {
				t.Fatalf("row %v", row)
			}
		}
	})
}

func TestCOQLKeysetPaging(t *testing.T) {
	srv := startServer(t, Config{})
	c := newClient(t, srv)
	// Estuary's incremental query: (Modified_Time, id) keyset, bracketed in pairs.
	seen := map[string]bool{}
	last, lastID := "2000-01-01T00:00:00+05:30", "0"
	for {
		q := fmt.Sprintf("select Modified_Time from Contacts where (Modified_Time >= '%s' "+
			"and (Modified_Time > '%s' or id > %s)) order by Modified_Time asc, id asc "+
			"limit 2000", last, last, lastID)
		p := runCOQL(t, c, q)
		for _, row := range p.Data {
			id := row["id"].(string)
			if seen[id] {
				t.Fatalf("record %s returned twice", id)
			}
			seen[id] = true
			last, lastID = row["Modified_Time"].(string), id
		}
		if !p.Info.MoreRecords {
			break
		}
	}
	if len(seen) != 16000 {
		t.Fatalf("keyset paging saw %d Contacts, want 16000", len(seen))
	}
}

func TestCOQLCredits(t *testing.T) {
	tests := []struct {
		limit   int
		credits int
	}{{200, 1}, {201, 2}, {1000, 2}, {1001, 3}, {2000, 3}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			srv := startServer(t, Config{CreditsPerDay: 100})
			c := newClient(t, srv)
			runCOQL(t, c, fmt.Sprintf("select id from Leads where id is not null limit %d",
				tt.limit))
			if left := srv.Sim.Stats().CreditsLeft; 100-left != tt.credits {
				t.Fatalf("charged %d credits, want %d", 100-left, tt.credits)
			}
		})
	}
}
