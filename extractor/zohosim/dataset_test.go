package zohosim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDeterministicDataset(t *testing.T) {
	a, _ := New(Config{Seed: 7})
	b, _ := New(Config{Seed: 7})
	other, _ := New(Config{Seed: 8})
	body := func(s *Sim, module string, idx int) []byte {
		tb := s.data.byAPI[module]
		return s.data.appendRecord(nil, tb, idx, tb.m.fields, true)
	}
	for _, m := range a.Modules() {
		t.Run(m, func(t *testing.T) {
			if !bytes.Equal(body(a, m, 3), body(b, m, 3)) {
				t.Fatal("the same seed gave different records")
			}
			if bytes.Equal(body(a, m, 3), body(other, m, 3)) {
				t.Fatal("another seed gave the same record")
			}
		})
	}
}

func TestIDsUniqueAcrossModules(t *testing.T) {
	s, _ := New(Config{})
	seen := map[string]string{}
	for _, m := range append(s.Modules(), "Users") {
		err := s.EachRecordJSON(m, func(id string, _ []byte) error {
			if !idPattern.MatchString(id) {
				t.Fatalf("%s id %q is not 19 digits", m, id)
			}
			if prev, dup := seen[id]; dup {
				t.Fatalf("id %s used by %s and %s", id, prev, m)
			}
			seen[id] = m
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 58741 {
		t.Fatalf("%d ids, want 58,741", len(seen))
	}
}

func TestScaleMultipliesCounts(t *testing.T) {
	tests := []struct {
		scale          int
		records, links int
	}{
		{1, 58741, 73720},
		{2, 117482, 147440},
		{3, 176223, 221160},
	}
	for _, tt := range tests {
		t.Run(itoa(tt.scale), func(t *testing.T) {
			s, err := New(Config{Scale: tt.scale})
			if err != nil {
				t.Fatal(err)
			}
			c := s.Counts()
			if c.TotalRecords != tt.records || c.TotalLinks != tt.links {
				t.Fatalf("%d records and %d links, want %d and %d",
					c.TotalRecords, c.TotalLinks, tt.records, tt.links)
			}
			if got := c.Links["Contacts"]["Account_Name"]; got != 4000*tt.scale {
				t.Fatalf("Contacts.Account_Name has %d values", got)
			}
		})
	}
}

func TestRecordVariety(t *testing.T) {
	s, _ := New(Config{})
	var all strings.Builder
	kinds := map[string]bool{}
	for _, m := range s.Modules() {
		n := 0
		_ = s.EachRecordJSON(m, func(_ string, body []byte) error {
			if n++; n > 300 {
				return nil
			}
			all.Write(body)
			var rec map[string]any
			if err := json.Unmarshal(body, &rec); err != nil {
				t.Fatalf("%s: %v", m, err)
			}
			for k, v := range rec {
				switch x := v.(type) {
				case nil:
					kinds["null"] = true
				case bool:
					kinds["bool"] = true
				case float64:
					kinds["number"] = true
				case []any:
					if len(x) > 0 {
						if _, obj := x[0].(map[string]any); obj {
							kinds["array of objects "+k] = true
						} else {
							kinds["array of strings"] = true
						}
					}
				case map[string]any:
					kinds["object"] = true
				}
			}
			return nil
		})
	}
	for _, want := range []string{"null", "bool", "number", "array of strings", "object",
		"array of objects Tag", "array of objects Contracts__c",
		"array of objects Participants"} {
		if !kinds[want] {
			t.Errorf("no value of kind %q", want)
		}
	}
	for _, want := range []string{"Zoë", "Ångström", "株式会社", `\"Quoted\"`, `\\Slash`,
		`\n`, "$approval", "$se_module", "$currency_symbol", "Layout", "__c\""} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("no record contains %q", want)
		}
	}
}

func TestCreatedByIsNotARelationship(t *testing.T) {
	s, _ := New(Config{})
	for _, m := range s.Modules() {
		mod := s.data.byAPI[m].m
		for _, api := range []string{"Created_By", "Modified_By"} {
			f := mod.byAPI[api]
			if f == nil || f.link != nil || kindTypes[f.kind][0] != "userlookup" {
				t.Fatalf("%s.%s must be a userlookup that is not a relationship", m, api)
			}
		}
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"edition", Config{Edition: "gold"}},
		{"profile", Config{Profile: "slow"}},
		{"offset", Config{Offset: "IST"}},
		{"latency", Config{Latency: Latency{Min: 2, Max: 1}}},
		{"fault rate", Config{Faults: Faults{ErrorRate: 1.5}}},
		{"malformed without page", Config{Faults: Faults{MalformedModule: "Leads"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
