package relink_test

import (
	"context"
	"testing"

	"github.com/crmgraph/crmgraph/events"
)

func counts(t *testing.T, got *events.LinkCounts, want events.LinkCounts) {
	t.Helper()
	if *got != want {
		t.Fatalf("counts = %+v, want %+v", *got, want)
	}
}

// TestRunsKeepRelationshipsTrue walks one source through four runs: a
// first load with a lookup to a record not yet in the graph, a rerun, a
// run that moves, clears and deletes, and a run that brings the missing
// record; then a relink of everything under a changed mapping.
func TestRunsKeepRelationshipsTrue(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.relinker("")

	e.nodes("User", "u1", "u2")
	e.nodes("Account", "a1", "a2")
	e.nodes("Contact", "c1", "c2", "c3")
	e.nodes("Task", "t1")
	e.nodes("Note", "n1")
	// A relationship the relinker did not make: it must survive every run.
	run(t, e.driver, "MATCH (a:Contact {id:'c1'}), (b:Contact {id:'c2'}) CREATE (a)-[:KNOWS]->(b)",
		nil)

	r1 := e.publish("r1",
		rec{"Contacts", "c1", map[string]any{"Owner": lookup("u1"),
			"Account_Name": lookup("a1"), "Reporting_To": lookup("c2")}},
		rec{"Contacts", "c2", map[string]any{"Owner": lookup("u2"), "Account_Name": lookup("a2")}},
		rec{"Contacts", "c3", map[string]any{"Owner": lookup("u1"),
			"Account_Name": lookup("a9")}}, // a9 arrives in a later run
		rec{"Tasks", "t1", map[string]any{"Owner": lookup("u1"), "What_Id": lookup("a1"),
			"$se_module": "Accounts", "Who_Id": lookup("c1")}},
		rec{"Notes", "n1", map[string]any{"Owner": lookup("u2"), "Parent_Id": map[string]any{
			"name": "x", "id": "c2", "module": map[string]any{"api_name": "Contacts", "id": "1"}}}},
	)
	first := []string{
		"Contact:c1 -KNOWS/--> Contact:c2",
		"Contact:c1 -OWNED_BY/Owner-> User:u1",
		"Contact:c1 -WORKS_AT/Account_Name-> Account:a1",
		"Contact:c1 -REPORTS_TO/Reporting_To-> Contact:c2",
		"Contact:c2 -OWNED_BY/Owner-> User:u2",
		"Contact:c2 -WORKS_AT/Account_Name-> Account:a2",
		"Contact:c3 -OWNED_BY/Owner-> User:u1",
		"Task:t1 -OWNED_BY/Owner-> User:u1",
		"Task:t1 -ABOUT/What_Id-> Account:a1",
		"Task:t1 -WITH/Who_Id-> Contact:c1",
		"Note:n1 -OWNED_BY/Owner-> User:u2",
		"Note:n1 -NOTE_ON/Parent_Id-> Contact:c2",
	}

	t.Run("first run parks the missing end", func(t *testing.T) {
		linked, err := r.HandleMarker(ctx, r1)
		if err != nil {
			t.Fatal(err)
		}
		counts(t, linked.Links, events.LinkCounts{Created: 11, Parked: 1})
		counts(t, e.linkedMarker("r1").Links, *linked.Links)
		e.wantRels(first...)
		parked, err := r.Parked(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p, ok := parked["zoho.Contacts.c3.Account_Name"]
		if len(parked) != 1 || !ok || p.ToID != "a9" || p.Type != "WORKS_AT" || p.Run != "r1" {
			t.Fatalf("parked = %+v", parked)
		}
	})

	t.Run("the same run again changes nothing", func(t *testing.T) {
		linked, err := r.HandleMarker(ctx, r1)
		if err != nil {
			t.Fatal(err)
		}
		counts(t, linked.Links, events.LinkCounts{Unchanged: 11, Parked: 1})
		e.wantRels(first...)
	})

	r2 := e.publish("r2",
		rec{"Contacts", "c1", map[string]any{"Owner": lookup("u2"), "Account_Name": lookup("a2"),
			"Reporting_To": nil}},
		rec{"Contacts", "c2", nil},
		rec{"Accounts", "a9", map[string]any{"Owner": lookup("u1")}},
		rec{"Contacts", "c4", map[string]any{"Account_Name": lookup("a10")}},
	)
	// The loader's work for r2: c2 deleted with its relationships, a9 and c4 created.
	e.drop("Contact", "c2")
	e.nodes("Account", "a9")
	e.nodes("Contact", "c4")
	second := []string{
		"Contact:c1 -OWNED_BY/Owner-> User:u2",
		"Contact:c1 -WORKS_AT/Account_Name-> Account:a2",
		"Contact:c3 -OWNED_BY/Owner-> User:u1",
		"Contact:c3 -WORKS_AT/Account_Name-> Account:a9",
		"Account:a9 -OWNED_BY/Owner-> User:u1",
		"Task:t1 -OWNED_BY/Owner-> User:u1",
		"Task:t1 -ABOUT/What_Id-> Account:a1",
		"Task:t1 -WITH/Who_Id-> Contact:c1",
		"Note:n1 -OWNED_BY/Owner-> User:u2",
	}

	t.Run("a changing run moves, clears, releases and parks", func(t *testing.T) {
		linked, err := r.HandleMarker(ctx, r2)
		if err != nil {
			t.Fatal(err)
		}
		// c1: Owner and Account_Name replaced (2 removed, 2 created); a9's Owner
		// created; c3's parked WORKS_AT released; c4's lookup to a10 parked.
		counts(t, linked.Links, events.LinkCounts{Created: 3, Removed: 2, Parked: 1,
			Released: 1})
		e.wantRels(second...)
	})

	t.Run("an older run does not undo a newer one", func(t *testing.T) {
		linked, err := r.HandleMarker(ctx, r1)
		if err != nil {
			t.Fatal(err)
		}
		// Only c3, t1 and n1 still hold r1's version. n1's version still
		// names c2, which r2 deleted: that lookup is parked, not invented.
		counts(t, linked.Links, events.LinkCounts{Unchanged: 6, Parked: 2})
		e.wantRels(second...)
	})

	r3 := e.publish("r3", rec{"Accounts", "a10", map[string]any{}})
	e.nodes("Account", "a10")

	t.Run("the run that brings the end node releases", func(t *testing.T) {
		linked, err := r.HandleMarker(ctx, r3)
		if err != nil {
			t.Fatal(err)
		}
		counts(t, linked.Links, events.LinkCounts{Released: 1, Parked: 1})
		e.wantRels(append(second, "Contact:c4 -WORKS_AT/Account_Name-> Account:a10")...)
	})

	t.Run("relink all applies a changed mapping", func(t *testing.T) {
		r := e.relinker("modules:\n  Contacts:\n    Account_Name: {type: EMPLOYED_BY}\n" +
			"  Tasks:\n    Who_Id: {disabled: true}\n")
		// A relationship of a record the stream does not hold is swept.
		run(t, e.driver, "MATCH (a:Deal {id:'d0'}) DELETE a", nil)
		e.nodes("Deal", "d0")
		run(t, e.driver, "MATCH (a:Deal {id:'d0'}), (u:User {id:'u1'}) "+
			"CREATE (a)-[:OWNED_BY {_field:'Owner', _source:'zoho'}]->(u)", nil)
		got, err := r.RelinkAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Three WORKS_AT replaced by EMPLOYED_BY, WITH and the stray Deal's
		// OWNED_BY removed.
		counts(t, &got, events.LinkCounts{Created: 3, Unchanged: 6, Removed: 5, Parked: 1})
		e.wantRels(
			"Contact:c1 -OWNED_BY/Owner-> User:u2",
			"Contact:c1 -EMPLOYED_BY/Account_Name-> Account:a2",
			"Contact:c3 -OWNED_BY/Owner-> User:u1",
			"Contact:c3 -EMPLOYED_BY/Account_Name-> Account:a9",
			"Contact:c4 -EMPLOYED_BY/Account_Name-> Account:a10",
			"Account:a9 -OWNED_BY/Owner-> User:u1",
			"Task:t1 -OWNED_BY/Owner-> User:u1",
			"Task:t1 -ABOUT/What_Id-> Account:a1",
			"Note:n1 -OWNED_BY/Owner-> User:u2",
		)
		again, err := r.RelinkAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		counts(t, &again, events.LinkCounts{Unchanged: 9, Parked: 1})
	})
}
