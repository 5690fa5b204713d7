package events

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

var testTime = time.Date(2026, 12, 3, 22, 4, 6, 0, time.FixedZone("IST", 5*3600+1800))

func TestCanonicalHashIgnoresOrderAndSpacing(t *testing.T) {
	a := []byte(`{"id":"1","Name":"Zoë <Ångström>","Amount":12.50,"Tags":["b","a"],"x":{"q":1,"p":null}}`)
	b := []byte(`{ "x": {"p": null, "q": 1}, "Tags": ["b","a"], "Amount": 12.50,
		"Name": "Zoë <Ångström>", "id": "1" }`)
	ha, err := CanonicalHash(a)
	if err != nil {
		t.Fatal(err)
	}
	hb, err := CanonicalHash(b)
	if err != nil {
		t.Fatal(err)
	}
	if ha != hb {
		t.Fatalf("hashes differ: %s vs %s", ha, hb)
	}
	c, _ := Canonicalize(a)
	if want := `{"Amount":12.50,"Name":"Zoë <Ångström>","Tags":["b","a"],` +
		`"id":"1","x":{"p":null,"q":1}}`; string(c) != want {
		t.Fatalf("canonical = %s\nwant        %s", c, want)
	}
	changed, _ := CanonicalHash([]byte(`{"id":"1","Name":"Zoe"}`))
	if changed == ha {
		t.Fatal("different bodies hash the same")
	}
}

func TestCanonicalizeRefusesNonObjects(t *testing.T) {
	for _, body := range []string{`[1,2]`, `"x"`, `{"a":`, ``} {
		if _, err := Canonicalize([]byte(body)); err == nil {
			t.Errorf("Canonicalize(%q): no error", body)
		}
	}
	if _, err := Canonicalize([]byte(`[1]`)); !errors.Is(err, ErrNotJSONObject) {
		t.Errorf("array body: error %v, want ErrNotJSONObject", err)
	}
}

func TestRecordEventRoundTrip(t *testing.T) {
	body := []byte(`{"id":"3652397000000251001","Last_Name":"Ångström"}`)
	e := RecordEvent{
		Key:      RecordKey{"zoho", "Contacts", "3652397000000251001"},
		Op:       OpUpsert,
		Run:      "20261203T163406Z-4f09a2",
		Modified: testTime,
		Hash:     Hash(body),
		Body:     body,
	}
	m, err := e.Msg()
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get(HeaderMsgID); got != "zoho:Contacts:3652397000000251001:"+e.Hash {
		t.Fatalf("Nats-Msg-Id = %q", got)
	}
	if got := m.Header.Get(HeaderModified); got != "2026-12-03T16:34:06Z" {
		t.Fatalf("Crm-Modified = %q, want UTC", got)
	}
	back, err := DecodeRecord(m.Subject, m.Header, m.Data)
	if err != nil {
		t.Fatal(err)
	}
	if back.Key != e.Key || back.Op != e.Op || back.Run != e.Run || back.Hash != e.Hash ||
		!back.Modified.Equal(e.Modified) || string(back.Body) != string(body) {
		t.Fatalf("round trip: got %+v\nwant %+v", back, e)
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	h := func(kv ...string) nats.Header {
		out := nats.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	tests := []struct {
		name    string
		subject string
		header  nats.Header
		want    error
	}{
		{"bad op", "crm.rec.zoho.Contacts.1", h(HeaderOp, "merge"), ErrUnknownOp},
		{"missing op", "crm.rec.zoho.Contacts.1", h(), ErrUnknownOp},
		{"future schema", "crm.rec.zoho.Contacts.1",
			h(HeaderOp, "upsert", HeaderSchema, "9"), ErrUnsupportedSchema},
		{"marker subject", "crm.run.zoho.r1.loaded", h(HeaderOp, "upsert"), ErrNotRecordSubject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRecord(tt.subject, tt.header, []byte(`{}`))
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
	_, err := DecodeRecord("crm.rec.zoho.Contacts.1",
		h(HeaderOp, "upsert", HeaderModified, "yesterday"), nil)
	if err == nil || !strings.Contains(err.Error(), HeaderModified) {
		t.Fatalf("bad Crm-Modified: error %v should name the header", err)
	}
}

func TestMarkerRoundTrip(t *testing.T) {
	m := &Marker{
		Source: "zoho", Run: NewRunID(testTime), Stage: StageExtracted, Mode: ModeFull,
		StartedAt: testTime, FinishedAt: testTime.Add(3 * time.Second), Seconds: 3,
		FirstSeq: 10, LastSeq: 58750,
		Modules: map[string]ModuleCounts{
			"Contacts": {Fetched: 16000, Changed: 16000},
			"Users":    {Fetched: 41, Changed: 40, Unchanged: 1},
		},
		Zoho: &APIUsage{Calls: 700, Pages: 690, Retries: 2, Credits: 700},
	}
	msg, err := m.Msg()
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeMarker(msg.Subject, msg.Header, msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	if back.Totals() != (ModuleCounts{Fetched: 16041, Changed: 16040, Unchanged: 1}) {
		t.Fatalf("totals = %+v", back.Totals())
	}
	if back.LastSeq != 58750 || back.Zoho.Retries != 2 || back.Mode != ModeFull {
		t.Fatalf("round trip lost fields: %+v", back)
	}
	if _, err := DecodeMarker("crm.run.zoho.other-run.extracted", msg.Header, msg.Data); err == nil {
		t.Fatal("a marker whose body names another run was accepted")
	}
}

func TestParseMode(t *testing.T) {
	if m, err := ParseMode("incremental"); err != nil || m != ModeIncremental {
		t.Fatalf("ParseMode(incremental) = %v, %v", m, err)
	}
	if _, err := ParseMode("partial"); err == nil || !strings.Contains(err.Error(), "full") {
		t.Fatalf("ParseMode(partial) error %v should list the accepted values", err)
	}
}
