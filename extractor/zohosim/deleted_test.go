package zohosim

import (
	"encoding/json"
	"testing"
)

func TestDeletedFeed(t *testing.T) {
	srv := startServer(t, Config{})
	c := newClient(t, srv)
	prior := srv.Sim.Counts().Deleted["Contacts"] // 0.5% of 16,000
	tests := []struct {
		name   string
		query  string
		since  string
		status int
		count  int
	}{
		{"all", "", "", 200, prior},
		{"small page", "?per_page=10&page=2", "", 200, 10},
		{"recycle only", "?type=recycle", "", 200, -1},
		{"permanent only", "?type=permanent", "", 200, -1},
		{"past the end", "?page=9", "", 204, 0},
		{"nothing deleted since", "", "2025-06-01T00:00:00+05:30", 304, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.since != "" {
				hdr["If-Modified-Since"] = tt.since
			}
			status, body := c.get("/crm/v8/Contacts/deleted"+tt.query, hdr)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if status != 200 {
				return
			}
			var got struct {
				Data []map[string]any `json:"data"`
				Info map[string]any   `json:"info"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if tt.count >= 0 && len(got.Data) != tt.count {
				t.Fatalf("got %d entries, want %d", len(got.Data), tt.count)
			}
			for _, k := range []string{"per_page", "count", "page", "more_records"} {
				if _, ok := got.Info[k]; !ok {
					t.Errorf("info has no %s", k)
				}
			}
			for _, e := range got.Data {
				typ := e["type"]
				if tt.query == "?type=recycle" && typ != "recycle" ||
					tt.query == "?type=permanent" && typ != "permanent" {
					t.Fatalf("entry of type %v in %s", typ, tt.query)
				}
				for _, k := range []string{"id", "display_name", "type", "deleted_by",
					"created_by", "deleted_time"} {
					if _, ok := e[k]; !ok {
						t.Fatalf("entry has no %s: %v", k, e)
					}
				}
				if !idPattern.MatchString(e["id"].(string)) ||
					!timePattern.MatchString(e["deleted_time"].(string)) {
					t.Fatalf("entry %v", e)
				}
			}
		})
	}
	status, body := c.get("/crm/v8/Contacts/deleted?type=soft", nil)
	checkError(t, status, body, 400, "INVALID_DATA", map[string]any{"param_name": "type"})
}

func TestDeletedCostsTwoCredits(t *testing.T) {
	srv := startServer(t, Config{CreditsPerDay: 100})
	c := newClient(t, srv)
	c.get("/crm/v8/Contacts/deleted", nil)
	c.get("/crm/v8/Contacts?fields=Email&per_page=1", nil)
	if left := srv.Sim.Stats().CreditsLeft; left != 97 {
		t.Fatalf("credits left %d, want 97 after a deleted call and a records call", left)
	}
}
