package zohosim

import (
	"strings"
)

// kind says how a field's values are generated and which Zoho data_type it declares.
type kind uint8

// The field kinds. Each maps to one data_type/json_type pair in kindTypes.
const (
	kText kind = iota
	kCode
	kPhrase
	kTextarea
	kEmail
	kPhone
	kWebsite
	kPicklist
	kMulti
	kDate
	kDateTime
	kCurrency
	kDouble
	kInteger
	kPercent
	kBool
	kAutoNumber
	kFirstName
	kLastName
	kFullName
	kCompany
	kCity
	kState
	kCountry
	kStreet
	kZip
	kOwner
	kUser
	kCreatedBy
	kModifiedBy
	kLookup
	kCreatedTime
	kModifiedTime
	kTag
	kLayout
	kSubform
	kReminder
	kRRule
	kParticipants
	kFormula
)

// kindTypes gives each kind's Zoho data_type and json_type.
var kindTypes = map[kind][2]string{
	kText: {"text", "string"}, kCode: {"text", "string"}, kPhrase: {"text", "string"},
	kTextarea: {"textarea", "string"}, kEmail: {"email", "string"},
	kPhone: {"phone", "string"}, kWebsite: {"website", "string"},
	kPicklist: {"picklist", "string"}, kMulti: {"multiselectpicklist", "jsonarray"},
	kDate: {"date", "string"}, kDateTime: {"datetime", "string"},
	kCurrency: {"currency", "double"}, kDouble: {"double", "double"},
	kInteger: {"integer", "integer"}, kPercent: {"percent", "double"},
	kBool: {"boolean", "boolean"}, kAutoNumber: {"autonumber", "string"},
	kFirstName: {"text", "string"}, kLastName: {"text", "string"},
	kFullName: {"text", "string"}, kCompany: {"text", "string"},
	kCity: {"text", "string"}, kState: {"text", "string"}, kCountry: {"text", "string"},
	kStreet: {"text", "string"}, kZip: {"text", "string"},
	kOwner: {"ownerlookup", "jsonobject"}, kUser: {"userlookup", "jsonobject"},
	kCreatedBy: {"userlookup", "jsonobject"}, kModifiedBy: {"userlookup", "jsonobject"},
	kLookup: {"lookup", "jsonobject"}, kCreatedTime: {"datetime", "string"},
	kModifiedTime: {"datetime", "string"}, kTag: {"text", "jsonarray"},
	kLayout: {"layout", "jsonobject"}, kSubform: {"subform", "jsonarray"},
	kReminder: {"ALARM", "jsonobject"}, kRRule: {"RRULE", "jsonobject"},
	kParticipants: {"participants", "jsonarray"}, kFormula: {"formula", "double"},
}

// field is one field of a module: its metadata and how its values are made.
type field struct {
	api    string
	kind   kind
	custom bool
	null   uint8  // percent of records whose value is null
	vocab  *vocab // picklist values or the words a value is drawn from
	lo, hi int64  // numeric range, or a date range in days from epochStart
	prefix string // auto-number and code prefix
	link   *link  // set for relationship fields (lookups, Owner, What_Id, ...)

	// Set by finish.
	idx     int
	li      int    // position among the module's relationship fields
	key     []byte // `"api":`
	mutable bool   // whether an update may change the value
}

// link describes a relationship field: where it points and how many records have it.
type link struct {
	targets []string // module API names; more than one makes the link polymorphic
	count   int      // non-null values at scale 1
	all     bool     // every record has a value (Owner)
	self    bool     // points into its own module: targets are older records only
	shape   shape
}

// shape is the JSON form of a relationship value.
type shape uint8

const (
	shapeLookup shape = iota // {"name","id"}
	shapeOwner               // {"name","id","email"}
	shapeWhat                // {"name","id"} plus a "$se_module" sibling key
	shapeParent              // {"name","id","module":{"api_name","id"}}
)

// module is one Zoho module of the simulated organisation.
type module struct {
	api       string
	singular  string
	num       int // module number inside record ids
	base      int // records at scale 1
	custom    bool
	supported bool // api_supported: false ones are listed but not served
	fields    []*field
	name      *field // the display-name field, never changed by updates
	links     []*field
	byAPI     map[string]*field
	currency  bool // has currency fields, so records carry $currency_symbol
}

// label turns an API name into a field label.
func label(api string) string {
	s := strings.TrimSuffix(strings.TrimSuffix(api, "__c"), "__s")
	return strings.ReplaceAll(s, "_", " ")
}

// fd builds a field of kind k; options adjust it.
func fd(api string, k kind, opts ...func(*field)) *field {
	f := &field{api: api, kind: k, custom: strings.HasSuffix(api, "__c")}
	switch k {
	case kPicklist, kMulti, kText, kPhrase, kTextarea, kEmail, kPhone, kWebsite,
		kDate, kDateTime, kCurrency, kDouble, kInteger, kPercent, kCode, kCity,
		kState, kCountry, kStreet, kZip, kFirstName, kSubform, kReminder, kRRule,
		kParticipants, kFormula:
		f.null = 15
	}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Field options.
func null(p uint8) func(*field)     { return func(f *field) { f.null = p } }
func words(v *vocab) func(*field)   { return func(f *field) { f.vocab = v } }
func rng(lo, hi int64) func(*field) { return func(f *field) { f.lo, f.hi = lo, hi } }
func pfx(p string) func(*field)     { return func(f *field) { f.prefix = p } }
func opts(vals ...string) func(*field) {
	v := newVocab(vals...)
	return func(f *field) { f.vocab = v }
}

// lookup builds a lookup field to target with count non-null values at scale 1.
func lookup(api, target string, count int) *field {
	f := fd(api, kLookup)
	f.link = &link{targets: []string{target}, count: count}
	return f
}

// polymorphic builds a link field (What_Id, Parent_Id) whose target module varies.
func polymorphic(api string, s shape, count int, targets ...string) *field {
	f := fd(api, kLookup)
	f.link = &link{targets: targets, count: count, shape: s}
	return f
}
