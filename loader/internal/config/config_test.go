package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseDefaults(t *testing.T) {
	c, err := Parse("run", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Load.ChunkSize <= 0 || c.Load.FetchWait <= 0 || c.Load.Writers <= 0 ||
		c.Neo4jURI != DefaultNeo4jURI || c.Neo4jDatabase != DefaultNeo4jDatabase {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestParseEnvAndFlags(t *testing.T) {
	t.Setenv("CRMGRAPH_LOADER_CHUNK_SIZE", "250")
	t.Setenv("CRMGRAPH_LOADER_FETCH_WAIT", "50ms")
	t.Setenv("CRMGRAPH_LOADER_LABELS", "Projects__c=Initiative, Deals=Opportunity")
	t.Setenv("CRMGRAPH_LOADER_KEEP_META", "true")
	t.Setenv("CRMGRAPH_NEO4J_PASSWORD", "s3cret")
	c, err := Parse("replay", []string{"--writers", "2", "--wipe"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Load.ChunkSize != 250 || c.Load.FetchWait != 50*time.Millisecond ||
		c.Load.Writers != 2 || !c.Wipe || !c.Load.Mapping.KeepMeta ||
		c.Load.Labels.Overrides["Deals"] != "Opportunity" || c.Neo4jPassword != "s3cret" {
		t.Errorf("settings not read: %+v", c)
	}
	if v := c.LogValue().String(); strings.Contains(v, "s3cret") {
		t.Errorf("password in log value %s", v)
	}
}

func TestParseRefusesBadValues(t *testing.T) {
	tests := []struct {
		name, env, value string
		args             []string
		want             string
	}{
		{"chunk size", "CRMGRAPH_LOADER_CHUNK_SIZE", "0", nil, "CRMGRAPH_LOADER_CHUNK_SIZE"},
		{"chunk size not a number", "CRMGRAPH_LOADER_CHUNK_SIZE", "many", nil,
			"CRMGRAPH_LOADER_CHUNK_SIZE"},
		{"fetch wait", "CRMGRAPH_LOADER_FETCH_WAIT", "1h", nil, "CRMGRAPH_LOADER_FETCH_WAIT"},
		{"writers", "CRMGRAPH_LOADER_WRITERS", "100", nil, "CRMGRAPH_LOADER_WRITERS"},
		{"neo4j uri", "CRMGRAPH_NEO4J_URI", "http://x", nil, "CRMGRAPH_NEO4J_URI"},
		{"label with backtick", "CRMGRAPH_LOADER_LABELS", "Deals=De`al", nil,
			"CRMGRAPH_LOADER_LABELS"},
		{"label pair", "CRMGRAPH_LOADER_LABELS", "Deals", nil, "Module=Label"},
		{"unsafe module", "CRMGRAPH_LOADER_LABELS", "De als=Deal", nil, "not a safe"},
		{"flag", "", "", []string{"--chunk-size", "99999"}, "--chunk-size"},
		{"stray argument", "", "", []string{"extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv(tt.env, tt.value)
			}
			_, err := Parse("run", tt.args, false)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one naming %q", err, tt.want)
			}
		})
	}
}
