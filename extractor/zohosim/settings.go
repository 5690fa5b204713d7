package zohosim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// metadata holds the answers of the settings calls, built once: the dataset's shape
// never changes.
type metadata struct {
	modules []byte
	fields  map[string][]byte
}

// buildMetadata renders the settings answers of d.
func buildMetadata(d *dataset) metadata {
	md := metadata{fields: map[string][]byte{}}
	var mods []map[string]any
	for _, t := range d.tables[1:] {
		mods = append(mods, moduleJSON(d, t.m.api, t.m.singular, t.m.num, t.m.custom, true))
		md.fields[t.m.api] = mustJSON(map[string]any{"fields": fieldsJSON(d, t.m)})
	}
	for i, u := range unsupportedModules {
		mods = append(mods, moduleJSON(d, u.api, u.singular, 30+i, false, false))
	}
	md.modules = mustJSON(map[string]any{"modules": mods})
	return md
}

// mustJSON marshals values built from maps and slices of plain types.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // unreachable: only plain values
	}
	return b
}

// moduleJSON describes one module as settings/modules does.
func moduleJSON(d *dataset, api, singular string, num int, custom, supported bool) map[string]any {
	generated := "default"
	if custom {
		generated = "custom"
	}
	plural := strings.TrimSuffix(api, "__c")
	if custom {
		plural = singular + "s"
	}
	return map[string]any{
		"api_name":        api,
		"module_name":     plural,
		"singular_label":  singular,
		"plural_label":    plural,
		"id":              d.idString(numModuleMeta, num),
		"api_supported":   supported,
		"generated_type":  generated,
		"creatable":       supported,
		"editable":        supported,
		"deletable":       supported,
		"viewable":        true,
		"visible":         true,
		"sequence_number": num,
		"status":          "visible",
		"modified_time":   d.formatTime(timeOf(epochStart)),
	}
}

// fieldsJSON describes a module's fields as settings/fields does.
func fieldsJSON(d *dataset, m *module) []any {
	out := make([]any, 0, len(m.fields))
	for _, f := range m.fields {
		types := kindTypes[f.kind]
		fj := map[string]any{
			"api_name":         f.api,
			"field_label":      label(f.api),
			"display_label":    label(f.api),
			"id":               d.idString(numFieldMeta, m.num*1000+f.idx),
			"data_type":        types[0],
			"json_type":        types[1],
			"custom_field":     f.custom,
			"system_mandatory": f == m.name,
			"read_only":        !f.mutable && f.link == nil,
			"visible":          true,
			"sequence_number":  f.idx + 1,
			"length":           255,
			"lookup":           map[string]any{},
			"pick_list_values": []any{},
		}
		if f.vocab != nil && (f.kind == kPicklist || f.kind == kMulti) {
			fj["pick_list_values"] = picklistJSON(d, m, f)
		}
		if f.link != nil && f.kind == kLookup {
			fj["lookup"] = lookupJSON(d, f)
		}
		out = append(out, fj)
	}
	return out
}

// picklistJSON lists a picklist's values.
func picklistJSON(d *dataset, m *module, f *field) []any {
	var vals []any
	for i, w := range f.vocab.words {
		vals = append(vals, map[string]any{
			"display_value": w,
			"actual_value":  w,
			"id":            d.idString(numFieldMeta, 500_000+m.num*10_000+f.idx*50+i),
		})
	}
	return vals
}

// lookupJSON describes a lookup's target. Polymorphic links name the "se_module"
// pseudo-module with no id, as Zoho does for What_Id.
func lookupJSON(d *dataset, f *field) map[string]any {
	if len(f.link.targets) > 1 {
		return map[string]any{"display_label": label(f.api), "api_name": nil,
			"module": map[string]any{"api_name": "se_module", "id": nil}, "id": nil}
	}
	t := d.byAPI[f.link.targets[0]]
	module := map[string]any{"api_name": t.m.api, "id": d.idString(numModuleMeta, t.m.num)}
	return map[string]any{
		"display_label": label(f.api),
		"api_name":      f.api,
		"module":        module,
		"id":            d.idString(numFieldMeta, 900_000+t.m.num),
	}
}

// handleModules answers GET /crm/v8/settings/modules.
func (s *Sim) handleModules(c *call) *apiError {
	c.reply(http.StatusOK, s.meta.modules)
	return nil
}

// handleFields answers GET /crm/v8/settings/fields?module=X.
func (s *Sim) handleFields(c *call) *apiError {
	api := c.r.URL.Query().Get("module")
	if api == "" {
		return errParamMissing("module")
	}
	body, ok := s.meta.fields[api]
	if !ok {
		return errInvalidModule()
	}
	c.reply(http.StatusOK, body)
	return nil
}
