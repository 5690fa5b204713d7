package run

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/zoho"
)

// schemaOf turns a module's fields into its schema.
func schemaOf(source, run, module string, fields []zoho.Field) *events.Schema {
	s := &events.Schema{Source: source, Module: module, Run: run,
		Fields: make([]events.Field, 0, len(fields))}
	for _, f := range fields {
		lookup := f.LookupModule()
		if lookup == "se_module" {
			lookup = "" // polymorphic: the target comes with each value
		}
		s.Fields = append(s.Fields, events.Field{APIName: f.APIName, DataType: f.DataType,
			JSONType: f.JSONType, LookupModule: lookup, Custom: f.Custom})
	}
	return s
}

// userLookups are the fields of a user that point at another user.
var userLookups = []string{"created_by", "Modified_By", "Reporting_To"}

// usersSchema describes the Users module, for which Zoho has no field
// metadata, from the keys and value types of a page of users.
func usersSchema(source, run string, users []zoho.Record) *events.Schema {
	types := map[string]string{}
	for _, rec := range users {
		u, err := rec.Decode()
		if err != nil {
			continue // a user that cannot be decoded adds nothing to the schema
		}
		for k, v := range u {
			if t, ok := types[k]; !ok || t == "" {
				types[k] = jsonType(v)
			}
		}
	}
	s := &events.Schema{Source: source, Module: zoho.UsersModule, Run: run}
	for _, k := range slices.Sorted(maps.Keys(types)) {
		f := events.Field{APIName: k, JSONType: types[k], DataType: dataType(types[k])}
		if slices.Contains(userLookups, k) {
			f.DataType, f.LookupModule = "userlookup", zoho.UsersModule
		}
		s.Fields = append(s.Fields, f)
	}
	return s
}

// jsonType names the JSON type of a decoded value as Zoho's json_type
// does; "" for null.
func jsonType(v any) string {
	switch v := v.(type) {
	case string:
		return "string"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer"
		}
		return "double"
	case bool:
		return "boolean"
	case map[string]any:
		return "jsonobject"
	case []any:
		return "jsonarray"
	}
	return ""
}

// dataType is the Zoho data_type closest to a json_type.
func dataType(jsonType string) string {
	switch jsonType {
	case "string", "":
		return "text"
	case "jsonobject", "jsonarray", "integer", "double", "boolean":
		return jsonType
	}
	return "text"
}
