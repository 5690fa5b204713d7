package mapping

import (
	"errors"
	"slices"
	"testing"

	"github.com/crmgraph/crmgraph/events"
)

func build(t *testing.T, schemas []*events.Schema, file string) *Mapping {
	t.Helper()
	f, err := ParseFile([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Build(Defaults(), schemas, f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func derive(t *testing.T, m *Mapping, module, id, body string) []Link {
	t.Helper()
	mod, err := m.Module(module)
	if err != nil {
		t.Fatal(err)
	}
	links, _, err := mod.Derive(id, []byte(body), nil)
	if err != nil {
		t.Fatal(err)
	}
	return links
}

func TestDeriveShapes(t *testing.T) {
	m := build(t, nil, "")
	tests := []struct {
		name, module, body string
		want               []Link
	}{
		{"owner and account", "Contacts",
			`{"Owner":{"name":"U","id":"u1","email":"e"},"Account_Name":{"name":"A","id":"a1"},` +
				`"Reporting_To":null,"Created_By":{"name":"U","id":"u2"}}`,
			[]Link{
				{"Contacts", "Contact", "c1", "Account_Name", "WORKS_AT", "Accounts", "Account", "a1"},
				{"Contacts", "Contact", "c1", "Owner", "OWNED_BY", "Users", "User", "u1"},
			}},
		{"what id from se_module", "Tasks",
			`{"What_Id":{"name":"D","id":"d1"},"$se_module":"Deals","Who_Id":{"name":"C","id":"c9"}}`,
			[]Link{
				{"Tasks", "Task", "c1", "What_Id", "ABOUT", "Deals", "Deal", "d1"},
				{"Tasks", "Task", "c1", "Who_Id", "WITH", "Contacts", "Contact", "c9"},
			}},
		{"what id null", "Calls", `{"What_Id":null,"$se_module":null}`, nil},
		{"note parent v8", "Notes",
			`{"Parent_Id":{"name":"P","id":"p1","module":{"api_name":"Projects__c","id":"9"}}}`,
			[]Link{{"Notes", "Note", "c1", "Parent_Id", "NOTE_ON", "Projects__c", "Project", "p1"}}},
		{"numeric id", "Deals", `{"Account_Name":{"id":123}}`,
			[]Link{{"Deals", "Deal", "c1", "Account_Name", "FOR_ACCOUNT", "Accounts", "Account", "123"}}},
		{"module without rules but owner", "Leads", `{"Owner":{"id":"u1"},"Company":"x"}`,
			[]Link{{"Leads", "Lead", "c1", "Owner", "OWNED_BY", "Users", "User", "u1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := derive(t, m, tt.module, "c1", tt.body)
			if !slices.Equal(got, tt.want) {
				t.Errorf("links = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDeriveDropsUnsafeTargets(t *testing.T) {
	m := build(t, nil, "")
	mod, _ := m.Module("Tasks")
	links, dropped, err := mod.Derive("t1",
		[]byte(`{"What_Id":{"id":"1"},"$se_module":"bad.module","Who_Id":{"id":"a b"}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 0 || dropped != 2 {
		t.Errorf("links %v, dropped %d; want none and 2", links, dropped)
	}
	if _, _, err := mod.Derive("t1", []byte(`{"What_Id":`), nil); !errors.Is(err, ErrBadBody) {
		t.Errorf("truncated body: err = %v, want ErrBadBody", err)
	}
}

func TestSchemaAndFileLayers(t *testing.T) {
	schemas := []*events.Schema{{Module: "Projects__c", Fields: []events.Field{
		{APIName: "Account__c", DataType: "lookup", LookupModule: "Accounts", Custom: true},
		{APIName: "Name", DataType: "text"},
		{APIName: "Orphan__c", DataType: "lookup"},
		{APIName: "Bad.Field", DataType: "lookup", LookupModule: "Accounts"},
	}}, {Module: "Contacts", Fields: []events.Field{
		{APIName: "Account_Name", DataType: "lookup", LookupModule: "Accounts"},
		{APIName: "Created_By", DataType: "ownerlookup"},
	}}}
	file := `
labels:
  Projects__c: Initiative
modules:
  "*":
    Created_By: {type: CREATED_BY, target: Users}
  Contacts:
    Account_Name: {type: EMPLOYED_BY}
    Reporting_To: {disabled: true}
  Deals:
    Owner: {disabled: true}
`
	m := build(t, schemas, file)
	got := derive(t, m, "Projects__c", "p1",
		`{"Account__c":{"id":"a1"},"Orphan__c":{"id":"x"},"Created_By":{"id":"u1"}}`)
	want := []Link{
		{"Projects__c", "Initiative", "p1", "Account__c", "LOOKUP_ACCOUNT__C", "Accounts",
			"Account", "a1"},
		{"Projects__c", "Initiative", "p1", "Created_By", "CREATED_BY", "Users", "User", "u1"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("projects: %+v\nwant %+v", got, want)
	}
	got = derive(t, m, "Contacts", "c1",
		`{"Account_Name":{"id":"a1"},"Reporting_To":{"id":"c2"},"Owner":{"id":"u1"}}`)
	want = []Link{
		{"Contacts", "Contact", "c1", "Account_Name", "EMPLOYED_BY", "Accounts", "Account", "a1"},
		{"Contacts", "Contact", "c1", "Owner", "OWNED_BY", "Users", "User", "u1"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("contacts: %+v\nwant %+v", got, want)
	}
	if got := derive(t, m, "Deals", "d1", `{"Owner":{"id":"u1"}}`); len(got) != 0 {
		t.Errorf("deals with Owner disabled: %+v", got)
	}
	if len(m.Skipped()) != 1 {
		t.Errorf("skipped = %v, want the unsafe field only", m.Skipped())
	}
}

func TestBadFiles(t *testing.T) {
	tests := map[string]string{
		"unknown key":        "modules:\n  Contacts:\n    Account_Name: {tpye: X}\n",
		"new field bad type": "modules:\n  Contacts:\n    Foo__c: {type: 'F O'}\n",
		"bad type":           "modules:\n  Contacts:\n    Account_Name: {type: 'WORKS AT'}\n",
		"bad module":         "modules:\n  'Con.tacts':\n    Owner: {type: X}\n",
		"disabled with type": "modules:\n  Contacts:\n    Owner: {disabled: true, type: X}\n",
		"bad label":          "labels:\n  Contacts: 'my contact'\n",
		"not yaml":           "modules: [\n",
	}
	for name, file := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := ParseFile([]byte(file))
			if err == nil {
				_, err = Build(Defaults(), nil, f)
			}
			if err == nil {
				t.Fatal("accepted a bad mapping file")
			}
		})
	}
}

func TestOverrideWaitsForSchema(t *testing.T) {
	m := build(t, nil, "modules:\n  Projects__c:\n    Account__c: {type: FOR_ACCOUNT}\n")
	if len(m.Skipped()) != 1 {
		t.Fatalf("skipped = %v, want the waiting override", m.Skipped())
	}
	if got := derive(t, m, "Projects__c", "p1", `{"Account__c":{"id":"a1"}}`); len(got) != 0 {
		t.Errorf("links without a schema: %+v", got)
	}
	schemas := []*events.Schema{{Module: "Projects__c", Fields: []events.Field{
		{APIName: "Account__c", DataType: "lookup", LookupModule: "Accounts"}}}}
	f, _ := ParseFile([]byte("modules:\n  Projects__c:\n    Account__c: {type: FOR_ACCOUNT}\n"))
	m, err := Build(Defaults(), schemas, f)
	if err != nil {
		t.Fatal(err)
	}
	got := derive(t, m, "Projects__c", "p1", `{"Account__c":{"id":"a1"}}`)
	want := []Link{{"Projects__c", "Project", "p1", "Account__c", "FOR_ACCOUNT", "Accounts",
		"Account", "a1"}}
	if !slices.Equal(got, want) {
		t.Errorf("links = %+v, want %+v", got, want)
	}
}

func TestExampleFileParses(t *testing.T) {
	f, err := ReadFile("../mapping.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(Defaults(), nil, f); err != nil {
		t.Fatal(err)
	}
}
