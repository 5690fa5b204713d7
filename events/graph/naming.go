package graph

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Bookkeeping properties of every node crmgraph writes. The underscore
// tells them apart from CRM fields.
const (
	// PropID is the key property: the Zoho record id, as a string.
	PropID = "id"
	// PropSource names the source (Zoho organisation) of the record.
	PropSource = "_source"
	// PropModified is the Zoho Modified_Time of the version the node holds.
	PropModified = "_modified"
	// PropSeq is the stream sequence of the version the node holds.
	PropSeq = "_seq"
	// PropRun is the run that published the version the node holds.
	PropRun = "_run"
)

// ErrBadName means a label or relationship type does not match
// [A-Za-z][A-Za-z0-9_]* (at most 64 characters) and cannot go into Cypher.
var ErrBadName = errors.New("not a safe graph name")

var safeName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// ValidName reports whether s may be used as a label or relationship type.
func ValidName(s string) bool { return safeName.MatchString(s) }

// Quote backtick-quotes a name for Cypher text, doubling any backtick in
// it. Names are validated before they are quoted; quoting is the second
// fence, not the first.
func Quote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// standardLabels are the labels of Zoho's standard modules.
var standardLabels = map[string]string{
	"Users":           "User",
	"Accounts":        "Account",
	"Contacts":        "Contact",
	"Leads":           "Lead",
	"Deals":           "Deal",
	"Campaigns":       "Campaign",
	"Products":        "Product",
	"Tasks":           "Task",
	"Calls":           "Call",
	"Events":          "Event",
	"Notes":           "Note",
	"Vendors":         "Vendor",
	"Quotes":          "Quote",
	"Sales_Orders":    "SalesOrder",
	"Purchase_Orders": "PurchaseOrder",
	"Invoices":        "Invoice",
	"Cases":           "Case",
	"Solutions":       "Solution",
	"Price_Books":     "PriceBook",
}

// Labels maps modules to node labels: the standard modules to their
// singular (Contacts -> Contact), others by a rule (Projects__c ->
// Project), and Overrides before both.
type Labels struct {
	// Overrides maps a module's API name to the label its nodes get.
	Overrides map[string]string
}

// Label returns the label of a module's nodes, or an ErrBadName error when
// the module (or its override) cannot give a safe label.
func (l Labels) Label(module string) (string, error) {
	label, ok := l.Overrides[module]
	if !ok {
		label = DefaultLabel(module)
	}
	if !ValidName(label) {
		return "", fmt.Errorf("label %q for module %q: %w", label, module, ErrBadName)
	}
	return label, nil
}

// DefaultLabel derives a label from a module name without validating it:
// the standard modules' singular, otherwise the name without Zoho's custom
// suffix (__c, __s), underscores removed, and a plural 's' dropped.
func DefaultLabel(module string) string {
	if l, ok := standardLabels[module]; ok {
		return l
	}
	name := strings.TrimSuffix(strings.TrimSuffix(module, "__c"), "__s")
	name = strings.ReplaceAll(name, "_", "")
	if len(name) > 3 && strings.HasSuffix(name, "s") && !strings.HasSuffix(name, "ss") {
		name = strings.TrimSuffix(name, "s")
	}
	return name
}
