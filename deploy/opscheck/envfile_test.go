package opscheck

import (
	"bufio"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// envEntry is one variable of .env.example.
type envEntry struct {
	// name is the variable.
	name string
	// value is its value, unquoted.
	value string
	// commented reports whether the line is commented out: it shows the
	// default, which applies while it stays commented.
	commented bool
	// line is the line number, for messages.
	line int
}

var envLine = regexp.MustCompile(`^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$`)

// readEnvExample parses .env.example: "NAME=value" and "# NAME=value"
// lines; other comment lines are prose.
func readEnvExample(t *testing.T) map[string]envEntry {
	t.Helper()
	entries := map[string]envEntry{}
	sc := bufio.NewScanner(strings.NewReader(readRepoFile(t, ".env.example")))
	for n := 1; sc.Scan(); n++ {
		m := envLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		e := envEntry{name: m[2], value: unquote(strings.TrimSpace(m[3])), commented: m[1] != "",
			line: n}
		if prev, dup := entries[e.name]; dup {
			t.Errorf(".env.example:%d: %s again (first on line %d)", n, e.name, prev.line)
		}
		entries[e.name] = e
	}
	if len(entries) == 0 {
		t.Fatal(".env.example has no variable")
	}
	return entries
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// envExampleValues returns the variables .env.example sets (its
// uncommented lines), as Compose would read them from a copied .env.
func envExampleValues(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, e := range readEnvExample(t) {
		if !e.commented {
			out[name] = e.value
		}
	}
	return out
}

// secretVars are the settings .env.example must list without a value:
// they are secrets, and the example must not hold a usable one.
var secretVars = []string{
	"CRMGRAPH_NEO4J_PASSWORD", "CRMGRAPH_API_KEY",
	"ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN",
}

// TestEnvExampleListsEverySetting checks that every variable a stage
// command a deployment runs reads is in .env.example, set or commented.
func TestEnvExampleListsEverySetting(t *testing.T) {
	entries := readEnvExample(t)
	for _, st := range stages {
		for _, cmd := range st.commands {
			t.Run(st.name+"_"+cmd, func(t *testing.T) {
				for _, name := range sortedKeys(stageSettings(t, st, cmd)) {
					if _, ok := entries[name]; !ok {
						t.Errorf("%s %s reads %s; .env.example does not list it", st.name, cmd,
							name)
					}
				}
			})
		}
	}
}

// TestEnvExampleDefaults checks that a commented-out line shows the real
// default: the default -h prints for every stage that reads the variable,
// or, where the stages' defaults differ (the HTTP address), one of them.
// It also checks that secrets have no value.
func TestEnvExampleDefaults(t *testing.T) {
	readers := map[string][]setting{}
	for _, st := range stages {
		for _, cmd := range st.commands {
			for name, s := range stageSettings(t, st, cmd) {
				readers[name] = append(readers[name], s)
			}
		}
	}
	for _, name := range sortedKeys(readEnvExample(t)) {
		e := readEnvExample(t)[name]
		t.Run(name, func(t *testing.T) {
			if slices.Contains(secretVars, name) {
				if e.commented || e.value != "" {
					t.Errorf(".env.example:%d: secret %s must be an uncommented empty line",
						e.line, name)
				}
				return
			}
			rs := readers[name]
			if !e.commented || len(rs) == 0 {
				return
			}
			matches := 0
			for _, s := range rs {
				if s.sameValue(e.value) {
					matches++
				}
			}
			agree := true
			for _, s := range rs[1:] {
				agree = agree && s.sameValue(rs[0].def)
			}
			if (agree && matches != len(rs)) || matches == 0 {
				t.Errorf(".env.example:%d: # %s=%s, but the stage default is %q", e.line, name,
					e.value, rs[0].def)
			}
		})
	}
}

// TestEnvExampleHasNoStaleSetting checks the other direction: every
// variable of .env.example is read by a stage, interpolated by
// docker-compose.yml, or read by Compose itself, so a setting a stage
// renamed does not linger in the example.
func TestEnvExampleHasNoStaleSetting(t *testing.T) {
	known := map[string]bool{"COMPOSE_PROFILES": true}
	for _, st := range stages {
		for _, cmd := range st.commands {
			for name := range stageSettings(t, st, cmd) {
				known[name] = true
			}
		}
	}
	for _, name := range composeVariables(t) {
		known[name] = true
	}
	for name, e := range readEnvExample(t) {
		if !known[name] {
			t.Errorf(".env.example:%d: %s is read by no stage and not used by "+
				"docker-compose.yml", e.line, name)
		}
	}
}

var interpolation = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)

// composeVariables returns the variables docker-compose.yml interpolates.
func composeVariables(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range interpolation.FindAllStringSubmatch(readRepoFile(t, "docker-compose.yml"), -1) {
		seen[m[1]] = true
	}
	return sortedKeys(seen)
}
