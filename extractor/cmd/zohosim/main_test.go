package main

import (
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		addr    string
		seed    int64
		scale   int
		wantErr bool
	}{
		{"defaults", nil, nil, "127.0.0.1:0", 1, 1, false},
		{"flags", []string{"-addr", "127.0.0.1:9", "-seed", "5", "-scale", "3"}, nil,
			"127.0.0.1:9", 5, 3, false},
		{"environment, flag wins", []string{"-seed", "9"},
			map[string]string{"CRMGRAPH_ZOHOSIM_SCALE": "2", "CRMGRAPH_ZOHOSIM_SEED": "4"},
			"127.0.0.1:0", 9, 2, false},
		{"bad environment value", nil, map[string]string{"CRMGRAPH_ZOHOSIM_SCALE": "many"},
			"", 0, 0, true},
		{"bad malformed fault", []string{"-fault-malformed", "Contacts"}, nil, "", 0, 0, true},
		{"bad log level", []string{"-log", "loud"}, nil, "", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := parseFlags(tt.args)
			if tt.wantErr {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if err != nil || cfg.Addr != tt.addr || cfg.Seed != tt.seed || cfg.Scale != tt.scale {
				t.Fatalf("got %s %d %d (%v), want %s %d %d",
					cfg.Addr, cfg.Seed, cfg.Scale, err, tt.addr, tt.seed, tt.scale)
			}
		})
	}
}

func TestParseFaultFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-fault-malformed", "Contacts:3", "-fault-error-rate",
		"0.1", "-fault-page-token-ttl", "30s", "-profile", "zoho", "-tz", "-07:00"})
	if err != nil {
		t.Fatal(err)
	}
	f := cfg.Faults
	if f.MalformedModule != "Contacts" || f.MalformedPage != 3 || f.ErrorRate != 0.1 ||
		f.PageTokenTTL != 30*time.Second || cfg.Profile != "zoho" || cfg.Offset != "-07:00" {
		t.Fatalf("config %+v", cfg)
	}
}
