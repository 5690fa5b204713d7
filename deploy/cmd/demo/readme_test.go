package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestReadmeInspectionIsTheTour checks that every nats command and Cypher
// query of the README's inspection section is one the demo runs, so none
// of them is left unexercised.
func TestReadmeInspectionIsTheTour(t *testing.T) {
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "## Inspecting it")
	end := strings.Index(readme, "## Configuration")
	if start < 0 || end < start {
		t.Fatal("README has no inspection section before Configuration")
	}
	section := readme[start:end]

	var commands []string
	for _, c := range natsTour {
		cmd := ".tools/bin/nats -s nats://127.0.0.1:4222 " + quoteArgs(c.args)
		commands = append(commands, cmd)
		if !strings.Contains(section, "`"+cmd+"`") {
			t.Errorf("the demo runs %q, which the README does not show", cmd)
		}
	}
	for _, line := range strings.Split(section, "\n") {
		if i := strings.Index(line, "`.tools/bin/nats "); i >= 0 {
			cmd := strings.TrimSuffix(strings.SplitN(line[i+1:], "`", 2)[0], "`")
			if !slices.Contains(commands, cmd) {
				t.Errorf("the README shows %q, which the demo does not run", cmd)
			}
		}
		if strings.HasPrefix(line, "MATCH ") && !slices.Contains(cypherTour, line) {
			t.Errorf("the README's query %q is not one the demo runs", line)
		}
	}
	for _, q := range cypherTour {
		if !strings.Contains(section, q) {
			t.Errorf("the demo runs %q, which the README does not show", q)
		}
	}
}
