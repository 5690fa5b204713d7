package mapping

import (
	"fmt"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/graph"
)

// seModuleKey is the record field that names the module of What_Id.
const seModuleKey = "$se_module"

// Link is one relationship a record implies: from the record's node,
// through one of its fields, to the node of the record the field names.
type Link struct {
	FromModule string
	FromLabel  string
	FromID     string
	// Field is the lookup field that makes the link, kept on the
	// relationship as _field.
	Field    string
	Type     string
	ToModule string
	ToLabel  string
	ToID     string
}

// Module derives the links of one module's records.
type Module struct {
	// Name is the module's API name; Label the label of its nodes.
	Name  string
	Label string

	rules  []Rule
	labels graph.Labels
	// toLabels holds the label of each rule's fixed target ("" when the
	// target is dynamic).
	toLabels []string
	// keys are the top-level keys to scan: the rules' fields, then
	// $se_module when a rule needs it.
	keys []string
}

func newModule(name string, rules []Rule, labels graph.Labels) (*Module, error) {
	label, err := labels.Label(name)
	if err != nil {
		return nil, err
	}
	m := &Module{Name: name, Label: label, rules: rules, labels: labels}
	needSE := false
	for _, r := range rules {
		m.keys = append(m.keys, r.Field)
		to := ""
		if r.Target.Dynamic() {
			needSE = needSE || r.Target == TargetSEModule
		} else if to, err = labels.Label(string(r.Target)); err != nil {
			return nil, fmt.Errorf("rule %s: %w", r, err)
		}
		m.toLabels = append(m.toLabels, to)
	}
	if needSE {
		m.keys = append(m.keys, seModuleKey)
	}
	return m, nil
}

// Rules returns the module's rules, sorted by field.
func (m *Module) Rules() []Rule { return m.rules }

// Derive appends to dst the links of the record id whose JSON body is
// given, and returns the number of lookups it had to drop: a target id or
// module that cannot name a node (not a safe token, or a module without a
// safe label). Those can never be written, because no node has them.
func (m *Module) Derive(id string, body []byte, dst []Link) ([]Link, int, error) {
	if len(m.rules) == 0 {
		return dst, 0, nil
	}
	var buf [8][]byte
	raws := buf[:0]
	if len(m.keys) > len(buf) {
		raws = make([][]byte, len(m.keys))
	} else {
		raws = buf[:len(m.keys)]
	}
	if err := scanObject(body, m.keys, raws); err != nil {
		return dst, 0, fmt.Errorf("record %s/%s: %w", m.Name, id, err)
	}
	seModule := ""
	if len(m.keys) > len(m.rules) {
		seModule, _ = stringValue(raws[len(m.rules)])
	}

	dropped := 0
	for i, r := range m.rules {
		raw := raws[i]
		if isNull(raw) {
			continue
		}
		toID, valueModule, ok := lookupValue(raw)
		if !ok {
			dropped++
			continue
		}
		l := Link{FromModule: m.Name, FromLabel: m.Label, FromID: id, Field: r.Field,
			Type: r.Type, ToModule: string(r.Target), ToLabel: m.toLabels[i], ToID: toID}
		switch r.Target {
		case TargetSEModule:
			l.ToModule = seModule
		case TargetValueModule:
			l.ToModule = valueModule
		}
		if r.Target.Dynamic() {
			label, err := m.labels.Label(l.ToModule)
			if err != nil || !events.ValidToken(l.ToModule) {
				dropped++
				continue
			}
			l.ToLabel = label
		}
		dst = append(dst, l)
	}
	return dst, dropped, nil
}

// lookupValue reads a lookup value: {"name":..,"id":..} with, for v8
// Notes, "module":{"api_name":..}. An id that is not a safe token gives
// ok false.
func lookupValue(raw []byte) (id, module string, ok bool) {
	if raw[0] != '{' {
		return "", "", false
	}
	var parts [2][]byte
	if err := scanObject(raw, []string{"id", "module"}, parts[:]); err != nil {
		return "", "", false
	}
	id, ok = stringValue(parts[0])
	if !ok || !events.ValidToken(id) {
		return "", "", false
	}
	if !isNull(parts[1]) && parts[1][0] == '{' {
		var name [1][]byte
		if scanObject(parts[1], []string{"api_name"}, name[:]) == nil {
			module, _ = stringValue(name[0])
		}
	}
	return id, module, true
}
