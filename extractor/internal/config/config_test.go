package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/internal/config"
)

// credentials sets the three Zoho credentials in the environment.
func credentials(t *testing.T) {
	t.Setenv("ZOHO_CLIENT_ID", "id")
	t.Setenv("ZOHO_CLIENT_SECRET", "secret")
	t.Setenv("ZOHO_REFRESH_TOKEN", "refresh")
}

func TestParseReadsFlagsAndEnvironment(t *testing.T) {
	credentials(t)
	t.Setenv("CRMGRAPH_SOURCE", "acme")
	t.Setenv("ZOHO_DC", "eu")
	t.Setenv("ZOHO_MODULES", "Contacts, Deals,")
	t.Setenv("ZOHO_EDITION", "enterprise")
	t.Setenv("CRMGRAPH_OVERLAP", "5m")
	c, err := config.Parse(config.CommandRun, []string{"--mode", "full",
		"--zoho-api-url", "https://www.zohoapis.eu"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != "acme" || c.Zoho.DataCenter != "eu" || c.Mode != events.ModeFull ||
		c.Zoho.APIURL != "https://www.zohoapis.eu" || c.Overlap != 5*time.Minute ||
		strings.Join(c.Modules, "|") != "Contacts|Deals" || c.Zoho.Edition != "enterprise" {
		t.Errorf("config %+v", c)
	}
	if c.HTTPAddr != "" {
		t.Errorf("run serves HTTP on %q by default", c.HTTPAddr)
	}
}

func TestParseNamesTheBadSetting(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  config.Command
		env  map[string]string
		args []string
		says string
	}{
		{"no client id", config.CommandRun, map[string]string{"ZOHO_CLIENT_ID": ""}, nil,
			"ZOHO_CLIENT_ID"},
		{"no secret", config.CommandRun, map[string]string{"ZOHO_CLIENT_SECRET": " "}, nil,
			"ZOHO_CLIENT_SECRET"},
		{"unknown data centre", config.CommandRun, map[string]string{"ZOHO_DC": "mars"}, nil,
			"ZOHO_DC"},
		{"bad accounts URL", config.CommandRun,
			map[string]string{"ZOHO_ACCOUNTS_URL": "accounts.zoho.eu"}, nil, "ZOHO_ACCOUNTS_URL"},
		{"bad edition", config.CommandRun, map[string]string{"ZOHO_EDITION": "gold"}, nil,
			"ZOHO_EDITION"},
		{"bad module", config.CommandRun, map[string]string{"ZOHO_MODULES": "Deals,a.b"}, nil,
			"ZOHO_MODULES"},
		{"bad source", config.CommandRun, map[string]string{"CRMGRAPH_SOURCE": "a b"}, nil,
			"CRMGRAPH_SOURCE"},
		{"unparsable duration", config.CommandRun,
			map[string]string{"CRMGRAPH_OVERLAP": "soon"}, nil, "CRMGRAPH_OVERLAP"},
		{"bad mode", config.CommandRun, nil, []string{"--mode", "daily"}, "--mode"},
		{"no api key", config.CommandServe, nil, nil, "CRMGRAPH_API_KEY"},
		{"bad schedule", config.CommandServe, map[string]string{"CRMGRAPH_API_KEY": "k"},
			[]string{"--schedule", "every now and then"}, "CRMGRAPH_SCHEDULE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			credentials(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := config.Parse(tc.cmd, tc.args)
			if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %v, want ErrInvalid naming %s", err, tc.says)
			}
		})
	}
}

func TestServeWithoutKeyNeedsInsecure(t *testing.T) {
	credentials(t)
	t.Setenv("CRMGRAPH_API_KEY", "")
	if _, err := config.Parse(config.CommandServe, []string{"--insecure-no-api-key"}); err != nil {
		t.Errorf("insecure serve refused: %v", err)
	}
	if _, err := config.Parse(config.CommandServe, []string{"--http", ""}); err != nil {
		t.Errorf("serve without HTTP refused for want of a key: %v", err)
	}
}

func TestLogValueHidesSecrets(t *testing.T) {
	secrets := map[string]string{"ZOHO_CLIENT_ID": "c1ient-1d", "ZOHO_CLIENT_SECRET": "s3cr3t",
		"ZOHO_REFRESH_TOKEN": "r3fr3sh", "CRMGRAPH_API_KEY": "ap1-k3y"}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	c, err := config.Parse(config.CommandServe, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := c.LogValue().String()
	for _, secret := range secrets {
		if strings.Contains(s, secret) {
			t.Errorf("log value %q shows %q", s, secret)
		}
	}
}
