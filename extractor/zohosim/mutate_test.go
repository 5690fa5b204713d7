package zohosim

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkLinks asserts that every relationship value points at a live record.
func checkLinks(t *testing.T, s *Sim) {
	t.Helper()
	users := map[string]bool{}
	_ = s.EachRecordJSON("Users", func(id string, _ []byte) error {
		users[id] = true
		return nil
	})
	err := s.EachLink(func(l Link) error {
		if l.ToModule == "Users" {
			if !users[l.ToID] {
				t.Fatalf("link %+v points at no user", l)
			}
			return nil
		}
		if _, err := s.Record(l.ToModule, l.ToID); err != nil {
			t.Fatalf("link %+v: %v", l, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMutate(t *testing.T) {
	clock := newClock()
	srv := startServer(t, Config{Now: clock.Now})
	sim, c := srv.Sim, newClient(t, srv)
	pristine, _ := New(Config{Now: clock.Now})
	before := sim.Counts()
	clock.advance(time.Hour)
	c.refresh()
	ch, err := sim.Mutate(MutateSpec{Update: 0.01, Create: 0.005, Delete: 0.002})
	if err != nil {
		t.Fatal(err)
	}
	after := sim.Counts()

	t.Run("counts", func(t *testing.T) {
		for _, m := range sim.Modules() {
			want := before.Records[m] - len(ch.Deleted[m]) + len(ch.Created[m])
			big := before.Records[m] >= 1000
			if after.Records[m] != want || big && (len(ch.Deleted[m]) == 0 ||
				len(ch.Created[m]) == 0) {
				t.Errorf("%s: %d records, want %d", m, after.Records[m], want)
			}
			if len(ch.Updated[m]) != (before.Records[m]+50)/100 {
				t.Errorf("%s: %d updated, want 1%% of %d", m, len(ch.Updated[m]),
					before.Records[m])
			}
			if after.Deleted[m] != before.Deleted[m]+len(ch.Deleted[m]) {
				t.Errorf("%s: feed has %d entries", m, after.Deleted[m])
			}
		}
		checkLinks(t, sim)
	})
	t.Run("updates change values", func(t *testing.T) {
		for _, id := range ch.Updated["Contacts"][:20] {
			old, _ := pristine.Record("Contacts", id)
			now, _ := sim.Record("Contacts", id)
			if now["Modified_Time"] != ch.At.Format(timeLayout) {
				t.Fatalf("%s: Modified_Time %v, want %v", id, now["Modified_Time"], ch.At)
			}
			changed := 0
			for k, v := range old {
				if k != "Modified_Time" && k != "Modified_By" && !reflect.DeepEqual(v, now[k]) {
					changed++
				}
			}
			if changed == 0 || now["Full_Name"] != old["Full_Name"] {
				t.Fatalf("%s: %d fields changed; name %v -> %v", id, changed,
					old["Full_Name"], now["Full_Name"])
			}
		}
	})
	since := ch.At.Add(-time.Second).Format(time.RFC3339)
	t.Run("If-Modified-Since gives exactly the changes", func(t *testing.T) {
		snap, _ := syncModules(t, c, since)
		for _, m := range sim.Modules() {
			got := slices.Sorted(maps.Keys(snap[m]))
			want := slices.Sorted(slices.Values(ch.Modified(m)))
			if !slices.Equal(got, want) {
				t.Errorf("%s: incremental fetch gave %d ids, changes list %d",
					m, len(got), len(want))
			}
		}
	})
	t.Run("deleted feed gives exactly the deletions", func(t *testing.T) {
		for _, m := range sim.Modules() {
			status, body := c.get("/crm/v8/"+m+"/deleted?type=recycle",
				map[string]string{"If-Modified-Since": since})
			if len(ch.Deleted[m]) == 0 {
				if status != 304 {
					t.Errorf("%s: nothing deleted but %d", m, status)
				}
				continue
			}
			var got struct {
				Data []struct {
					ID   string `json:"id"`
					Type string `json:"type"`
				} `json:"data"`
			}
			if err := json.Unmarshal(body, &got); err != nil || status != 200 {
				t.Fatalf("%s: %d %s", m, status, body)
			}
			var ids []string
			for _, e := range got.Data {
				ids = append(ids, e.ID)
			}
			slices.Sort(ids)
			if want := slices.Sorted(slices.Values(ch.Deleted[m])); !slices.Equal(ids, want) {
				t.Errorf("%s: feed lists %v, want %v", m, ids, want)
			}
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		again, _ := New(Config{Now: clock.Now})
		ch2, _ := again.Mutate(MutateSpec{Update: 0.01, Create: 0.005, Delete: 0.002})
		if !reflect.DeepEqual(ch, ch2) {
			t.Fatal("the same seed and spec gave different changes")
		}
	})
	t.Run("reset", func(t *testing.T) {
		sim.Reset()
		if got := sim.Counts(); !reflect.DeepEqual(got, before) {
			t.Fatalf("counts after reset differ")
		}
	})
}

func TestMutateDeleteUnlinks(t *testing.T) {
	clock := newClock()
	s, _ := New(Config{Now: clock.Now})
	ch, err := s.Mutate(MutateSpec{Delete: 0.2, Modules: []string{"Accounts"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Deleted["Accounts"]) != 1400 || len(ch.Updated) != 0 {
		t.Fatalf("changes %d deleted, %d updated", len(ch.Deleted["Accounts"]), len(ch.Updated))
	}
	for _, m := range []string{"Contacts", "Deals", "Projects__c", "Accounts", "Notes"} {
		if len(ch.Unlinked[m]) == 0 {
			t.Errorf("no %s unlinked after deleting a fifth of the Accounts", m)
		}
	}
	for _, id := range ch.Unlinked["Contacts"][:10] {
		rec, _ := s.Record("Contacts", id)
		if rec["Modified_Time"] != ch.At.Format(timeLayout) {
			t.Fatalf("unlinked contact %s keeps Modified_Time %v", id, rec["Modified_Time"])
		}
	}
	checkLinks(t, s)
}

func TestMutateErrors(t *testing.T) {
	s, _ := New(Config{})
	tests := []struct {
		name string
		spec MutateSpec
		want error
	}{
		{"share over 1", MutateSpec{Update: 1.5}, ErrInvalidSpec},
		{"negative share", MutateSpec{Delete: -0.1}, ErrInvalidSpec},
		{"update and delete over 1", MutateSpec{Update: 0.6, Delete: 0.6}, ErrInvalidSpec},
		{"unknown module", MutateSpec{Update: 0.1, Modules: []string{"Nope"}},
			ErrUnknownModule},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Mutate(tt.spec); !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestAdminAPI(t *testing.T) {
	srv := startServer(t, Config{Now: newClock().Now})
	c := &client{t: t, base: srv.URL}
	status, body, _ := c.do("POST", "/_sim/mutate",
		strings.NewReader(`{"update":0.01,"modules":["Deals"]}`), nil)
	var ch Changes
	if err := json.Unmarshal(body, &ch); err != nil || status != 200 {
		t.Fatalf("mutate: %d %s", status, body)
	}
	if len(ch.Updated["Deals"]) != 50 || len(ch.Updated) != 1 {
		t.Fatalf("changes %v", ch.Updated)
	}
	tests := []struct {
		path string
		want string
	}{
		{"/_sim/counts", `"total_records":58741`},
		{"/_sim/stats", `"calls":0`},
		{"/_sim/faults", `"error_rate":0`},
		{"/_sim/records/Campaigns", `"Campaign_Name"`},
		{"/_sim/links", `"from_module"`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, body := c.get(tt.path, nil)
			if status != 200 || !strings.Contains(string(body), tt.want) {
				t.Fatalf("%d %.300s", status, body)
			}
		})
	}
	if _, body := c.get("/_sim/records/Campaigns", nil); strings.Count(string(body), "\n") != 200 {
		t.Fatal("records stream is not one line per Campaign")
	}
	status, body, _ = c.do("POST", "/_sim/reset", nil, nil)
	if status != 200 {
		t.Fatalf("reset: %d %s", status, body)
	}
}
