package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestBadUsageStopsAtStart checks that bad settings stop the program with
// exit code 2 and a message naming the setting, before any connection.
func TestBadUsageStopsAtStart(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"relink without all", []string{"relink"}, nil, "--all is required"},
		{"unknown command", []string{"frobnicate"}, nil, "unknown command"},
		{"bad batch size", []string{"run", "--batch-size", "0"}, nil, "--batch-size"},
		{"bad parallel env", []string{"run"}, map[string]string{
			"CRMGRAPH_RELINKER_PARALLEL": "many"}, "CRMGRAPH_RELINKER_PARALLEL"},
		{"bad source", []string{"parked", "--source", "a.b"}, nil, "--source"},
		{"bad log format", []string{"run", "--log-format", "xml"}, nil, "--log-format"},
		{"stray argument", []string{"run", "extra"}, nil, "unexpected arguments"},
		{"bad labels", []string{"run"}, map[string]string{
			"CRMGRAPH_LOADER_LABELS": "Projects__c=My Project"}, "CRMGRAPH_RELINKER_LABELS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var out, errOut bytes.Buffer
			code := Main(context.Background(), tt.args, &out, &errOut)
			if code != 2 {
				t.Fatalf("exit code %d, want 2; stderr:\n%s", code, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.want) {
				t.Fatalf("stderr does not name %q:\n%s", tt.want, errOut.String())
			}
		})
	}
}
