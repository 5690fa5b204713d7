package mapping

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/graph"
)

// DataTypeLookup is the Zoho data type of a lookup field.
const DataTypeLookup = "lookup"

// schemaSEModule is the lookup module Zoho's field metadata names for a
// polymorphic lookup whose module is in the record's $se_module.
const schemaSEModule = "se_module"

// Mapping holds the rules of every module and the labels of their nodes.
// It is safe for concurrent use.
type Mapping struct {
	labels graph.Labels
	// rules holds the rules by module (AnyModule included), then field.
	rules map[string]map[string]Rule
	// disabled holds the fields the file disabled, by module, then field.
	disabled map[string]map[string]bool

	mu      sync.Mutex
	modules map[string]*Module // guarded by mu

	// skipped lists the schema lookups that could not become rules.
	skipped []string
}

// Build layers the defaults, the lookups found in the schemas and the
// file into a Mapping. Schema lookups that name no target module, or that
// cannot make a safe rule, are skipped (see Skipped): a schema is data
// and must not stop the relinker. The defaults and the file are validated
// completely.
func Build(defaults []Rule, schemas []*events.Schema, file *File) (*Mapping, error) {
	if file == nil {
		file = &File{}
	}
	m := &Mapping{
		labels:   graph.Labels{Overrides: file.Labels},
		rules:    make(map[string]map[string]Rule),
		disabled: make(map[string]map[string]bool),
		modules:  make(map[string]*Module),
	}
	for _, r := range defaults {
		if err := m.set(r); err != nil {
			return nil, err
		}
	}
	for _, s := range schemas {
		m.addSchema(s)
	}
	if err := m.applyFile(file); err != nil {
		return nil, err
	}
	for module, label := range file.Labels {
		if _, err := m.labels.Label(module); err != nil {
			return nil, fmt.Errorf("label %q of module %s: %w", label, module, err)
		}
	}
	return m, nil
}

func (m *Mapping) set(r Rule) error {
	if err := r.validate(); err != nil {
		return err
	}
	if m.rules[r.Module] == nil {
		m.rules[r.Module] = make(map[string]Rule)
	}
	m.rules[r.Module][r.Field] = r
	return nil
}

// lookup returns the rule a module has for a field, its own or the one
// every module has.
func (m *Mapping) lookup(module, field string) (Rule, bool) {
	if r, ok := m.rules[module][field]; ok {
		return r, true
	}
	r, ok := m.rules[AnyModule][field]
	if ok {
		r.Module = module
	}
	return r, ok
}

// addSchema adds a rule for every lookup field of a module schema. A field
// the built-in table knows keeps its type; its target becomes the one the
// schema names, unless the rule reads its target from each record.
func (m *Mapping) addSchema(s *events.Schema) {
	for _, f := range s.Fields {
		if f.DataType != DataTypeLookup {
			continue
		}
		r, known := m.lookup(s.Module, f.APIName)
		if f.LookupModule == schemaSEModule {
			f.LookupModule = string(TargetSEModule)
		}
		switch {
		case known && r.Target.Dynamic():
		case f.LookupModule != "":
			if !known {
				r = Rule{Module: s.Module, Field: f.APIName, Type: GenericType(f.APIName)}
			}
			r.Target = Target(f.LookupModule)
		case !known:
			continue // a lookup without a target module cannot be linked
		}
		if err := m.set(r); err != nil {
			m.skipped = append(m.skipped, err.Error())
		}
	}
}

// Skipped describes the schema lookups that could not become rules (an
// unsafe field or module name) and the file's overrides of fields no
// layer below has, for logging.
func (m *Mapping) Skipped() []string { return m.skipped }

// applyFile applies the file's overrides in a fixed order, so that the
// same file always gives the same mapping.
func (m *Mapping) applyFile(f *File) error {
	for _, module := range sortedKeys(f.Modules) {
		if module != AnyModule && !events.ValidToken(module) {
			return fmt.Errorf("module %q: %w", module, ErrBadRule)
		}
		fields := f.Modules[module]
		for _, field := range sortedKeys(fields) {
			if err := m.override(module, field, fields[field]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Mapping) override(module, field string, o Override) error {
	if o.Disabled {
		if o.Type != "" || o.Target != "" {
			return fmt.Errorf("%s.%s: disabled with a type or target: %w",
				module, field, ErrBadRule)
		}
		if m.disabled[module] == nil {
			m.disabled[module] = make(map[string]bool)
		}
		m.disabled[module][field] = true
		return nil
	}
	r, ok := m.lookup(module, field)
	if module == AnyModule {
		r, ok = m.rules[AnyModule][field]
	}
	if !ok {
		r = Rule{Module: module, Field: field}
	}
	if o.Type != "" {
		r.Type = o.Type
	}
	if o.Target != "" {
		r.Target = Target(o.Target)
	}
	if r.Type == "" || r.Target == "" {
		// The field may be a lookup that only a schema names: the
		// override waits for it rather than stop the relinker.
		m.skipped = append(m.skipped, fmt.Sprintf(
			"%s.%s: no lookup of that name to override; a new field needs a type and a target",
			module, field))
		return validOverride(o)
	}
	return m.set(r)
}

// Labels returns the module-to-label mapping of the nodes.
func (m *Mapping) Labels() graph.Labels { return m.labels }

// Rules returns the rules of a module, AnyModule's included, sorted by
// field, without the disabled ones.
func (m *Mapping) Rules(module string) []Rule {
	var out []Rule
	seen := make(map[string]bool)
	for _, mod := range []string{module, AnyModule} {
		for field, r := range m.rules[mod] {
			if seen[field] || m.disabled[module][field] || m.disabled[mod][field] {
				continue
			}
			seen[field] = true
			r.Module = module
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Rule) int { return strings.Compare(a.Field, b.Field) })
	return out
}

// Explicit returns every rule the mapping holds, by module and field, for
// printing; AnyModule's rules are listed under "*".
func (m *Mapping) Explicit() []Rule {
	var out []Rule
	for _, module := range sortedKeys(m.rules) {
		out = append(out, m.Rules(module)...)
	}
	return out
}

// Module returns the derivation of a module's links, built once.
func (m *Mapping) Module(name string) (*Module, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if mod, ok := m.modules[name]; ok {
		return mod, nil
	}
	mod, err := newModule(name, m.Rules(name), m.labels)
	if err != nil {
		return nil, err
	}
	m.modules[name] = mod
	return mod, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// validOverride checks the parts an override gives.
func validOverride(o Override) error {
	if o.Type != "" && !graph.ValidName(o.Type) {
		return fmt.Errorf("relationship type %q: %w", o.Type, ErrBadRule)
	}
	t := Target(o.Target)
	if o.Target != "" && !t.Dynamic() && !events.ValidToken(o.Target) {
		return fmt.Errorf("target %q: %w", o.Target, ErrBadRule)
	}
	return nil
}
