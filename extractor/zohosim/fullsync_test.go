package zohosim

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// snapshot is what a sync fetched: records by module and id.
type snapshot map[string]map[string]map[string]any

// syncModules fetches every record of every api_supported module the way a real
// extractor does: settings, fields in groups of at most 50, page_token paging, the
// groups merged by id. since, if set, is sent as If-Modified-Since.
func syncModules(t *testing.T, c *client, since string) (snapshot, map[string][]fieldMeta) {
	t.Helper()
	_, body := c.get("/crm/v8/settings/modules", nil)
	var mods struct {
		Modules []struct {
			APIName      string `json:"api_name"`
			APISupported bool   `json:"api_supported"`
		} `json:"modules"`
	}
	if err := json.Unmarshal(body, &mods); err != nil {
		t.Fatal(err)
	}
	hdr := map[string]string{}
	if since != "" {
		hdr["If-Modified-Since"] = since
	}
	snap, meta := snapshot{}, map[string][]fieldMeta{}
	for _, m := range mods.Modules {
		if !m.APISupported {
			continue
		}
		fields := getFields(t, c, m.APIName)
		meta[m.APIName] = fields
		recs := map[string]map[string]any{}
		for start := 0; start < len(fields); start += maxFields {
			var names []string
			for _, f := range fields[start:min(start+maxFields, len(fields))] {
				names = append(names, f.APIName)
			}
			path := "/crm/v8/" + m.APIName + "?per_page=200&fields=" +
				url.QueryEscape(strings.Join(names, ","))
			for _, rec := range collect(t, c, path, hdr) {
				id := rec["id"].(string)
				if recs[id] == nil {
					recs[id] = map[string]any{}
				}
				for k, v := range rec {
					recs[id][k] = v
				}
			}
		}
		snap[m.APIName] = recs
	}
	return snap, meta
}

// syncUsers fetches every user through /users.
func syncUsers(t *testing.T, c *client) map[string]bool {
	t.Helper()
	users := map[string]bool{}
	for p := 1; ; p++ {
		status, body := c.get("/crm/v8/users?type=AllUsers&per_page=200&page="+itoa(p), nil)
		if status == 204 {
			return users
		}
		var got struct {
			Users []map[string]any `json:"users"`
			Info  map[string]any   `json:"info"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		for _, u := range got.Users {
			users[u["id"].(string)] = true
		}
		if got.Info["more_records"] != true {
			return users
		}
	}
}

// itoa formats a small integer.
func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// relationships counts the non-null relationship values of a snapshot, as the graph
// model defines them, and reports values that point at no fetched record.
func relationships(t *testing.T, snap snapshot, meta map[string][]fieldMeta,
	users map[string]bool) int {
	t.Helper()
	total := 0
	for module, recs := range snap {
		for _, f := range meta[module] {
			if f.DataType != "lookup" && f.DataType != "ownerlookup" {
				continue
			}
			for id, rec := range recs {
				v, _ := rec[f.APIName].(map[string]any)
				if v == nil {
					continue
				}
				total++
				to, target := v["id"].(string), ""
				switch {
				case f.DataType == "ownerlookup":
					if !users[to] {
						t.Fatalf("%s %s: Owner %s is no user", module, id, to)
					}
					continue
				case f.APIName == "What_Id":
					target, _ = rec["$se_module"].(string)
				case f.Lookup.Module.APIName == "se_module":
					target, _ = v["module"].(map[string]any)["api_name"].(string)
				default:
					target = f.Lookup.Module.APIName
				}
				if snap[target][to] == nil {
					t.Fatalf("%s %s: %s points at %s %s, which was not fetched",
						module, id, f.APIName, target, to)
				}
			}
		}
	}
	return total
}

func TestFullSyncCounts(t *testing.T) {
	srv := startServer(t, Config{})
	c := newClient(t, srv)
	snap, meta := syncModules(t, c, "")
	users := syncUsers(t, c)
	records := len(users)
	for _, recs := range snap {
		records += len(recs)
	}
	if records != 58741 {
		t.Fatalf("fetched %d records, want 58,741", records)
	}
	if links := relationships(t, snap, meta, users); links != 73720 {
		t.Fatalf("counted %d relationship values, want 73,720", links)
	}
	t.Run("records equal the ground truth", func(t *testing.T) {
		for module, recs := range snap {
			n := 0
			err := srv.Sim.EachRecordJSON(module, func(id string, body []byte) error {
				n++
				if recs[id] == nil {
					t.Fatalf("%s %s was not fetched", module, id)
				}
				if n%7 != 0 { // decoding is the slow part: compare a sample in full
					return nil
				}
				var want map[string]any
				if err := json.Unmarshal(body, &want); err != nil {
					return err
				}
				if !reflect.DeepEqual(recs[id], want) {
					t.Fatalf("%s %s differs from the ground truth", module, id)
				}
				return nil
			})
			if err != nil || n != len(recs) {
				t.Fatalf("%s: ground truth has %d records (%v), sync %d", module, n, err,
					len(recs))
			}
		}
	})
	t.Run("links equal the ground truth", func(t *testing.T) {
		n := 0
		err := srv.Sim.EachLink(func(l Link) error {
			n++
			v, _ := snap[l.FromModule][l.FromID][l.Field].(map[string]any)
			if v["id"] != l.ToID {
				t.Fatalf("link %+v not in the fetched records", l)
			}
			return nil
		})
		if err != nil || n != 73720 {
			t.Fatalf("EachLink gave %d links (%v)", n, err)
		}
	})
}
