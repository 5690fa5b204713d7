package zohosim

import (
	"encoding/json"
	"testing"
)

func TestUsers(t *testing.T) {
	srv := startServer(t, Config{})
	c := newClient(t, srv)
	tests := []struct {
		name   string
		query  string
		since  string
		status int
		count  int
	}{
		{"all users", "type=AllUsers", "", 200, 41},
		{"default type", "", "", 200, 41},
		{"active users", "type=ActiveUsers", "", 200, 39},
		{"deactivated users", "type=DeactiveUsers", "", 200, 2},
		{"current user", "type=CurrentUser", "", 200, 1},
		{"small pages", "type=AllUsers&per_page=40&page=2", "", 200, 1},
		{"past the end", "type=AllUsers&page=2", "", 204, 0},
		{"not modified", "type=AllUsers", "2025-06-01T00:00:00+05:30", 304, 0},
		{"modified since", "type=AllUsers", "2018-01-01T00:00:00+05:30", 200, 41},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.since != "" {
				hdr["If-Modified-Since"] = tt.since
			}
			status, body := c.get("/crm/v8/users?"+tt.query, hdr)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if status != 200 {
				if len(body) != 0 {
					t.Fatalf("%d with a body", status)
				}
				return
			}
			var got struct {
				Users []map[string]any `json:"users"`
				Info  map[string]any   `json:"info"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Users) != tt.count || got.Info["count"] != float64(tt.count) {
				t.Fatalf("got %d users, info %v; want %d", len(got.Users), got.Info, tt.count)
			}
			u := got.Users[0]
			for _, k := range []string{"id", "full_name", "email", "status", "role",
				"profile", "Modified_Time", "zuid"} {
				if _, ok := u[k]; !ok {
					t.Errorf("user has no %s", k)
				}
			}
		})
	}
	status, body := c.get("/crm/v8/users?type=Nope", nil)
	checkError(t, status, body, 400, "INVALID_DATA", map[string]any{"param_name": "type"})
}
