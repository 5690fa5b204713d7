package zohosim

import (
	"encoding/json"
	"testing"
)

func TestSettingsModules(t *testing.T) {
	srv := startServer(t, Config{})
	c := newClient(t, srv)
	status, body := c.get("/crm/v8/settings/modules", nil)
	var got struct {
		Modules []map[string]any `json:"modules"`
	}
	if err := json.Unmarshal(body, &got); err != nil || status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	byName := map[string]map[string]any{}
	for _, m := range got.Modules {
		byName[m["api_name"].(string)] = m
		for _, k := range []string{"api_name", "module_name", "api_supported",
			"generated_type", "id"} {
			if _, ok := m[k]; !ok {
				t.Errorf("module %v has no %s", m["api_name"], k)
			}
		}
	}
	tests := []struct {
		module    string
		supported bool
		generated string
	}{
		{"Contacts", true, "default"},
		{"Projects__c", true, "custom"},
		{"Vendors", true, "default"},
		{"Home", false, "default"},
		{"Feeds", false, "default"},
	}
	for _, tt := range tests {
		t.Run(tt.module, func(t *testing.T) {
			m := byName[tt.module]
			if m == nil || m["api_supported"] != tt.supported ||
				m["generated_type"] != tt.generated {
				t.Fatalf("module %v", m)
			}
		})
	}
}

// fieldMeta is the part of a field's metadata the tests read.
type fieldMeta struct {
	APIName  string `json:"api_name"`
	DataType string `json:"data_type"`
	JSONType string `json:"json_type"`
	ID       string `json:"id"`
	Lookup   struct {
		Module *struct {
			APIName string  `json:"api_name"`
			ID      *string `json:"id"`
		} `json:"module"`
	} `json:"lookup"`
}

// getFields reads settings/fields of a module.
func getFields(t *testing.T, c *client, module string) []fieldMeta {
	t.Helper()
	status, body := c.get("/crm/v8/settings/fields?module="+module, nil)
	var got struct {
		Fields []fieldMeta `json:"fields"`
	}
	if err := json.Unmarshal(body, &got); err != nil || status != 200 {
		t.Fatalf("fields of %s: %d %s", module, status, body)
	}
	return got.Fields
}

func TestSettingsFields(t *testing.T) {
	srv := startServer(t, Config{})
	c := newClient(t, srv)
	for _, module := range srv.Sim.Modules() {
		t.Run(module, func(t *testing.T) {
			fields := getFields(t, c, module)
			if len(fields) < 30 || len(fields) > 120 {
				t.Fatalf("%d fields, want 30 to 120", len(fields))
			}
			if (module == "Accounts" || module == "Contacts") && len(fields) <= 50 {
				t.Fatalf("%d fields, want more than 50", len(fields))
			}
			types := map[string]string{}
			for _, f := range fields {
				types[f.APIName] = f.DataType
				if f.JSONType == "" || f.ID == "" {
					t.Errorf("field %s lacks json_type or id", f.APIName)
				}
				if f.DataType == "lookup" && (f.Lookup.Module == nil ||
					f.Lookup.Module.APIName == "") {
					t.Errorf("lookup %s has no lookup.module.api_name", f.APIName)
				}
			}
			want := map[string]string{"Owner": "ownerlookup", "Created_By": "userlookup",
				"Modified_By": "userlookup", "Modified_Time": "datetime"}
			for k, v := range want {
				if types[k] != v {
					t.Errorf("%s is %q, want %q", k, types[k], v)
				}
			}
		})
	}
	t.Run("errors", func(t *testing.T) {
		status, body := c.get("/crm/v8/settings/fields", nil)
		checkError(t, status, body, 400, "REQUIRED_PARAM_MISSING",
			map[string]any{"param_name": "module"})
		status, body = c.get("/crm/v8/settings/fields?module=Nope", nil)
		checkError(t, status, body, 400, "INVALID_MODULE", nil)
	})
}
