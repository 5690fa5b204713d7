package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/extractor/internal/cli"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

func TestRunExitCodes(t *testing.T) {
	ns := natstest.Start(t)
	sim, err := zohosim.NewServer(zohosim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	t.Setenv("ZOHO_CLIENT_ID", "sim")
	t.Setenv("ZOHO_CLIENT_SECRET", "sim")
	base := []string{"--nats-url", ns.URL, "--zoho-accounts-url", sim.URL,
		"--zoho-modules", "Campaigns,Products", "--zoho-edition", "enterprise"}

	for _, tc := range []struct {
		name    string
		refresh string
		args    []string
		code    int
		stage   events.Stage
		says    string
	}{
		{"extracted", "sim-refresh", []string{"--mode", "full"}, cli.ExitOK,
			events.StageExtracted, `msg="run extracted"`},
		{"refused token", "wrong-refresh", []string{"--mode", "incremental"}, cli.ExitFailed,
			events.StageFailed, "invalid_code"},
		{"missing setting", "", []string{"--mode", "full"}, cli.ExitUsage, "",
			"ZOHO_REFRESH_TOKEN is not set"},
		{"bad mode", "sim-refresh", []string{"--mode", "sometimes"}, cli.ExitUsage, "",
			`mode "sometimes"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ZOHO_REFRESH_TOKEN", tc.refresh)
			var out bytes.Buffer
			args := append(append([]string{"run"}, base...), tc.args...)
			code := cli.Main(context.Background(), args, &out)
			if code != tc.code {
				t.Fatalf("exit code %d, want %d; output:\n%s", code, tc.code, out.String())
			}
			if !strings.Contains(out.String(), tc.says) {
				t.Errorf("output does not say %q:\n%s", tc.says, out.String())
			}
			for _, secret := range []string{"wrong-refresh", "sim-refresh"} {
				if strings.Contains(out.String(), secret) {
					t.Errorf("output shows the refresh token %q", secret)
				}
			}
			if tc.stage != "" && countMarkers(t, ns, tc.stage) == 0 {
				t.Errorf("no %s marker on the stream", tc.stage)
			}
		})
	}
}

func TestServeRefusesTheTriggerWithoutAKey(t *testing.T) {
	t.Setenv("ZOHO_CLIENT_ID", "sim")
	t.Setenv("ZOHO_CLIENT_SECRET", "sim")
	t.Setenv("ZOHO_REFRESH_TOKEN", "sim-refresh")
	t.Setenv("CRMGRAPH_API_KEY", "")
	var out bytes.Buffer
	code := cli.Main(context.Background(), []string{"serve", "--http", "127.0.0.1:0"}, &out)
	if code != cli.ExitUsage || !strings.Contains(out.String(), "CRMGRAPH_API_KEY") {
		t.Errorf("exit code %d, output %q; want %d naming CRMGRAPH_API_KEY", code, out.String(),
			cli.ExitUsage)
	}
}

func countMarkers(t *testing.T, ns *natstest.Server, stage events.Stage) int {
	t.Helper()
	ctx := context.Background()
	s, err := ns.JS.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstreamSubjects(events.StageMarkers(stage)))
	if err != nil {
		t.Fatal(err)
	}
	return len(info.State.Subjects)
}
