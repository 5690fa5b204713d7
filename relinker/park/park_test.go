package park_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/relinker/park"
)

func TestStore(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Start(t)
	ns.Setup(t)
	s, err := park.Open(ctx, ns.JS)
	if err != nil {
		t.Fatal(err)
	}
	e := park.Entry{Source: "zoho", FromModule: "Contacts", FromLabel: "Contact", FromID: "1",
		Field: "Account_Name", Type: "WORKS_AT", ToModule: "Accounts", ToLabel: "Account",
		ToID: "9", Run: "r1", Since: time.Unix(1700000000, 0).UTC()}
	other := e
	other.Source = "acme"

	for _, x := range []park.Entry{e, other} {
		if err := s.Put(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	moved := e
	moved.ToID = "10"
	if err := s.Put(ctx, moved); err != nil {
		t.Fatal(err)
	}
	all, err := s.All(ctx, "zoho")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all["zoho.Contacts.1.Account_Name"] != moved {
		t.Fatalf("entries of zoho = %+v, want only the replaced one", all)
	}

	if err := s.Delete(ctx, "zoho.Contacts.1.Account_Name"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "zoho.Contacts.1.Account_Name"); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
	if all, err = s.All(ctx, "zoho"); err != nil || len(all) != 0 {
		t.Fatalf("after delete: %+v, %v", all, err)
	}
	if all, err = s.All(ctx, "acme"); err != nil || len(all) != 1 {
		t.Fatalf("other source: %+v, %v", all, err)
	}

	bad := e
	bad.Field = "Account.Name"
	if err := s.Put(ctx, bad); !errors.Is(err, park.ErrBadEntry) {
		t.Fatalf("unsafe key part: err = %v, want ErrBadEntry", err)
	}
}
