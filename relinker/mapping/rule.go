package mapping

import (
	"fmt"
	"strings"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/graph"
)

// Target says where a rule finds the module its relationship points at.
type Target string

// Special targets; any other Target is a module API name.
const (
	// TargetSEModule reads the module from the record's $se_module field,
	// as the activities' What_Id needs.
	TargetSEModule Target = "$se_module"
	// TargetValueModule reads the module from the lookup value's
	// module.api_name, as v8 Notes' Parent_Id needs.
	TargetValueModule Target = "$value.module"
)

// Dynamic reports whether the target module is read from each record.
func (t Target) Dynamic() bool { return t == TargetSEModule || t == TargetValueModule }

// AnyModule is the module name of rules that apply to every module.
const AnyModule = "*"

// Rule makes one field of one module into a relationship.
type Rule struct {
	// Module is the API name of the module whose records hold the field,
	// or AnyModule.
	Module string
	// Field is the API name of the lookup field.
	Field string
	// Type is the relationship type, a safe graph name.
	Type string
	// Target is the module the relationship points at, or a special
	// target that reads it from each record.
	Target Target
}

// String describes the rule for logs and errors.
func (r Rule) String() string {
	return r.Module + "." + r.Field + " -[:" + r.Type + "]-> " + string(r.Target)
}

// validate reports an ErrBadRule error naming the first unsafe part.
func (r Rule) validate() error {
	if r.Module != AnyModule && !events.ValidToken(r.Module) {
		return fmt.Errorf("rule %s: module %q: %w", r, r.Module, ErrBadRule)
	}
	if !events.ValidToken(r.Field) {
		return fmt.Errorf("rule %s: field %q: %w", r, r.Field, ErrBadRule)
	}
	if !graph.ValidName(r.Type) {
		return fmt.Errorf("rule %s: relationship type %q: %w", r, r.Type, ErrBadRule)
	}
	if !r.Target.Dynamic() && !events.ValidToken(string(r.Target)) {
		return fmt.Errorf("rule %s: target %q: %w", r, r.Target, ErrBadRule)
	}
	return nil
}

// GenericType is the relationship type of a lookup field the built-in
// table does not know: LOOKUP_ and the field name in upper case, so
// Projects__c.Account__c gives LOOKUP_ACCOUNT__C.
func GenericType(field string) string {
	return "LOOKUP_" + strings.ToUpper(field)
}
