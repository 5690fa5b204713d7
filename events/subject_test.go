package events

import (
	"errors"
	"testing"
)

func TestRecordSubjectRoundTrip(t *testing.T) {
	k := RecordKey{Source: "zoho", Module: "Projects__c", ID: "3652397000000251001"}
	s, err := k.Subject()
	if err != nil {
		t.Fatal(err)
	}
	if s != "crm.rec.zoho.Projects__c.3652397000000251001" {
		t.Fatalf("subject = %q", s)
	}
	got, err := ParseRecordSubject(s)
	if err != nil {
		t.Fatal(err)
	}
	if got != k {
		t.Fatalf("parsed %+v, want %+v", got, k)
	}
}

func TestUnsafeTokensAreRefused(t *testing.T) {
	long := make([]byte, maxTokenLen+1)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name string
		key  RecordKey
	}{
		{"empty id", RecordKey{"zoho", "Contacts", ""}},
		{"dot in id", RecordKey{"zoho", "Contacts", "1.2"}},
		{"wildcard id", RecordKey{"zoho", "Contacts", "*"}},
		{"tail wildcard module", RecordKey{"zoho", ">", "1"}},
		{"space in source", RecordKey{"my org", "Contacts", "1"}},
		{"non-ASCII module", RecordKey{"zoho", "Kontakte_ä", "1"}},
		{"newline id", RecordKey{"zoho", "Contacts", "1\n2"}},
		{"too long id", RecordKey{"zoho", "Contacts", string(long)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.key.Subject(); !errors.Is(err, ErrUnsafeToken) {
				t.Fatalf("Subject() error = %v, want ErrUnsafeToken", err)
			}
		})
	}
}

func TestParseRejectsForeignSubjects(t *testing.T) {
	for _, s := range []string{
		"crm.rec.zoho.Contacts",
		"crm.run.zoho.r1.extracted",
		"other.rec.zoho.Contacts.1",
		"crm.rec.zoho.Contacts.1.extra",
	} {
		if _, err := ParseRecordSubject(s); !errors.Is(err, ErrNotRecordSubject) {
			t.Errorf("ParseRecordSubject(%q) error = %v, want ErrNotRecordSubject", s, err)
		}
	}
}

func TestMarkerSubjects(t *testing.T) {
	s, err := MarkerSubject("zoho", "20261203T163406Z-4f09a2", StageLoaded)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseMarkerSubject(s)
	if err != nil {
		t.Fatal(err)
	}
	if k.Source != "zoho" || k.Run != "20261203T163406Z-4f09a2" || k.Stage != StageLoaded {
		t.Fatalf("parsed %+v", k)
	}
	if _, err := MarkerSubject("zoho", "r1", Stage("done")); !errors.Is(err, ErrUnknownStage) {
		t.Fatalf("unknown stage error = %v", err)
	}
	if _, err := ParseMarkerSubject("crm.run.zoho.r1.done"); !errors.Is(err, ErrUnknownStage) {
		t.Fatalf("parse unknown stage error = %v", err)
	}
	if got := StageMarkers(StageExtracted); got != "crm.run.*.*.extracted" {
		t.Fatalf("StageMarkers = %q", got)
	}
}

func TestOtherSubjects(t *testing.T) {
	tests := []struct {
		name string
		got  func() (string, error)
		want string
	}{
		{"schema", func() (string, error) { return SchemaSubject("zoho", "Deals") },
			"crm.schema.zoho.Deals"},
		{"dlq", func() (string, error) { return DeadLetterSubject("loader", 42) },
			"crm.dlq.loader.42"},
		{"module records", func() (string, error) { return ModuleRecords("zoho", "Deals") },
			"crm.rec.zoho.Deals.*"},
		{"source records", func() (string, error) { return SourceRecords("eu-org") },
			"crm.rec.eu-org.>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := SchemaSubject("zoho", "a.b"); !errors.Is(err, ErrUnsafeToken) {
		t.Fatalf("unsafe module in schema subject: %v", err)
	}
}

func TestNewRunIDIsAToken(t *testing.T) {
	a, b := NewRunID(testTime), NewRunID(testTime)
	if !ValidToken(a) || a == b {
		t.Fatalf("run ids %q and %q: want distinct safe tokens", a, b)
	}
	if a[:16] != "20261203T163406Z" {
		t.Fatalf("run id %q does not start with the UTC start time", a)
	}
}
