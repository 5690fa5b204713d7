package loader

import (
	"strings"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/deploy/e2e/loader/seedtest"
	"github.com/crmgraph/crmgraph/events"
)

// TestLabelOverrides runs the loader binary with label overrides: a label
// made to break Cypher stops it at start naming the setting; a valid one
// labels the module's nodes.
func TestLabelOverrides(t *testing.T) {
	e := seedtest.NewEnv(t)
	for _, bad := range []string{"Projects__c=Pro`ject", "Projects__c=A B",
		"Projects__c=X) DETACH DELETE (n", "Projects__c=Prøject", "Pro`jects=Project"} {
		p := e.StartLoader("", []string{"CRMGRAPH_LOADER_LABELS=" + bad})
		err := p.Wait(30 * time.Second)
		if err == nil || !strings.Contains(p.Log(), "CRMGRAPH_LOADER_LABELS") {
			t.Errorf("labels %q: exit %v, log:\n%s\nwant a failure naming the setting",
				bad, err, p.Log())
		}
	}

	var evs []events.RecordEvent
	for _, ev := range seedtest.Seed(t) {
		if ev.Key.Module == "Projects__c" && len(evs) < 50 {
			evs = append(evs, ev)
		}
	}
	first, last := e.Publish(evs)
	e.Marker("seed", first, last)
	e.StartLoader("", []string{"CRMGRAPH_LOADER_LABELS=Projects__c=Initiative"})
	e.Loaded("seed", time.Minute)
	if n := e.Count("MATCH (n:Initiative) RETURN count(n)"); n != 50 {
		t.Errorf("%d Initiative nodes, want 50", n)
	}
	if n := e.Count("SHOW CONSTRAINTS YIELD name WHERE name = 'crmgraph_Initiative_id' " +
		"RETURN count(*)"); n != 1 {
		t.Errorf("no uniqueness constraint for the overridden label")
	}
}
