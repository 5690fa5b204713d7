package opscheck

import (
	"encoding/json"
	"go/ast"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"
)

// registeredMetrics returns the names of the Prometheus metrics a stage
// binary defines: every prometheus.*Opts literal in the crmgraph packages
// it is built from, with Namespace, Subsystem and Name joined as
// prometheus.BuildFQName does. A field given as a constant of the same
// file is resolved.
func registeredMetrics(t *testing.T, st stage) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, dir := range crmgraphPackageDirs(t, st.pkg) {
		for _, f := range parseDir(t, dir.dir, dir.files) {
			consts := stringConsts(f)
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.CompositeLit)
				if !ok || !isPromOpts(lit.Type) {
					return true
				}
				parts := map[string]string{}
				for _, elt := range lit.Elts {
					kv, ok := elt.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					key, _ := kv.Key.(*ast.Ident)
					if key != nil {
						parts[key.Name] = stringValue(kv.Value, consts)
					}
				}
				var fq []string
				for _, p := range []string{parts["Namespace"], parts["Subsystem"], parts["Name"]} {
					if p != "" {
						fq = append(fq, p)
					}
				}
				if parts["Name"] != "" {
					names[strings.Join(fq, "_")] = true
				}
				return true
			})
		}
	}
	return names
}

func isPromOpts(e ast.Expr) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "prometheus" && strings.HasSuffix(sel.Sel.Name, "Opts")
}

// stringConsts returns the string constants declared in f.
func stringConsts(f *ast.File) map[string]string {
	out := map[string]string{}
	for _, decl := range f.Decls {
		ast.Inspect(decl, func(n ast.Node) bool {
			gd, ok := n.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				return true
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if v := stringValue(vs.Values[i], nil); v != "" {
							out[name.Name] = v
						}
					}
				}
			}
			return true
		})
	}
	return out
}

func stringValue(e ast.Expr, consts map[string]string) string {
	switch v := e.(type) {
	case *ast.BasicLit:
		if v.Kind == token.STRING {
			s, _ := strconv.Unquote(v.Value)
			return s
		}
	case *ast.Ident:
		return consts[v.Name]
	}
	return ""
}

// dashboard is the part of a Grafana dashboard the tests read.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name    string `json:"name"`
			Type    string `json:"type"`
			Query   string `json:"query"`
			Current struct {
				Value string `json:"value"`
			} `json:"current"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	text := readRepoFile(t, "deploy/grafana/crmgraph.json")
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		t.Fatalf("deploy/grafana/crmgraph.json: %v", err)
	}
	return d
}

var (
	crmgraphMetric = regexp.MustCompile(`\bcrmgraph_[a-z0-9_]+`)
	natsMetric     = regexp.MustCompile(`jetstream_[a-z_]+`)
)

// exporterMetrics are the prometheus-nats-exporter series (-jsz=all) the
// dashboard may query; they come from outside crmgraph.
var exporterMetrics = []string{"jetstream_consumer_num_pending",
	"jetstream_consumer_num_ack_pending", "jetstream_consumer_num_redelivered"}

// TestGrafanaDashboardMetrics checks that every crmgraph metric the
// dashboard queries is one a stage really defines (a histogram's _bucket,
// _sum and _count series included), and that the panels cover what the
// issue asks for.
func TestGrafanaDashboardMetrics(t *testing.T) {
	d := loadDashboard(t)
	defined := map[string]bool{}
	for _, st := range stages {
		for name := range registeredMetrics(t, st) {
			if !strings.HasPrefix(name, "crmgraph_"+st.name+"_") {
				t.Errorf("%s defines %s, outside crmgraph_%s_", st.name, name, st.name)
			}
			defined[name] = true
		}
	}
	if len(defined) < 10 {
		t.Fatalf("found only %d crmgraph metrics in the stages: %v", len(defined),
			sortedKeys(defined))
	}
	queried := map[string]bool{}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, m := range crmgraphMetric.FindAllString(tg.Expr, -1) {
				base := m
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(m, suffix); ok && defined[b] {
						base = b
					}
				}
				if !defined[base] {
					t.Errorf("panel %q queries %s, which no stage defines", p.Title, m)
				}
				queried[base] = true
			}
			for _, m := range natsMetric.FindAllString(tg.Expr, -1) {
				if !slices.Contains(exporterMetrics, m) {
					t.Errorf("panel %q queries %s, not a known NATS exporter series", p.Title, m)
				}
				queried[m] = true
			}
		}
	}
	need := map[string][]string{
		"run durations": {"crmgraph_extractor_run_duration_seconds",
			"crmgraph_relinker_run_seconds"},
		"records per module": {"crmgraph_extractor_records_fetched_total",
			"crmgraph_loader_records_total"},
		"consumer lag": {"jetstream_consumer_num_pending", "crmgraph_loader_backlog"},
		"dead letters": {"crmgraph_loader_dead_letters_total"},
		"Zoho calls":   {"crmgraph_extractor_zoho_calls_total"},
		"Zoho retries": {"crmgraph_extractor_zoho_retries_total"},
	}
	for what, metrics := range need {
		for _, m := range metrics {
			if !queried[m] {
				t.Errorf("the dashboard shows no %s: it does not query %s", what, m)
			}
		}
	}
}

// TestGrafanaDashboardShape checks the dashboard's structure: unique panel
// ids, a query in every panel, every panel on the datasource variable, and
// a variable whose default is the provisioned Prometheus.
func TestGrafanaDashboardShape(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("dashboard has no uid or title")
	}
	var provisioned struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
		} `yaml:"datasources"`
	}
	readYAML(t, "deploy/grafana/provisioning/datasources/prometheus.yml", &provisioned)
	varOK := false
	for _, v := range d.Templating.List {
		varOK = varOK || (v.Name == "datasource" && v.Type == "datasource" &&
			v.Query == "prometheus" && len(provisioned.Datasources) == 1 &&
			v.Current.Value == provisioned.Datasources[0].UID)
	}
	if !varOK {
		t.Errorf("no datasource variable defaulting to the provisioned Prometheus")
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q does not use the datasource variable", p.Title)
		}
		for _, tg := range p.Targets {
			if strings.Count(tg.Expr, "(") != strings.Count(tg.Expr, ")") {
				t.Errorf("panel %q: unbalanced parentheses in %s", p.Title, tg.Expr)
			}
		}
	}
}

func readYAML(t *testing.T, rel string, v any) {
	t.Helper()
	if err := yamlv3.Unmarshal([]byte(readRepoFile(t, rel)), v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// TestMonitoringWiring checks that the monitoring profile's Prometheus
// scrapes each stage on its port under the names of every pipeline's
// services, and that Grafana loads the dashboard from where Compose
// mounts it.
func TestMonitoringWiring(t *testing.T) {
	var prom struct {
		ScrapeConfigs []struct {
			JobName      string `yaml:"job_name"`
			DNSSDConfigs []struct {
				Names []string `yaml:"names"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, "deploy/prometheus/prometheus.yml", &prom)
	jobs := map[string][]string{}
	ports := map[string]int{}
	for _, sc := range prom.ScrapeConfigs {
		for _, d := range sc.DNSSDConfigs {
			jobs[sc.JobName] = append(jobs[sc.JobName], d.Names...)
			ports[sc.JobName] = d.Port
		}
		for _, s := range sc.StaticConfigs {
			jobs[sc.JobName] = append(jobs[sc.JobName], s.Targets...)
		}
	}
	for profile, services := range stageServices {
		for svc, stageName := range services {
			if !slices.Contains(jobs[stageName], svc) {
				t.Errorf("prometheus job %s does not scrape %s (profile %s)", stageName, svc,
					profile)
			}
			if ports[stageName] != stageNamed(t, stageName).port {
				t.Errorf("prometheus job %s scrapes port %d, want %d", stageName,
					ports[stageName], stageNamed(t, stageName).port)
			}
		}
	}
	p := mustLoadCompose(t, "monitoring")
	exporter := strings.Join(p.Services["nats-exporter"].Command, " ")
	if !strings.Contains(exporter, "-jsz=all") ||
		!slices.Contains(jobs["nats"], "nats-exporter:7777") {
		t.Errorf("the NATS exporter (%s) does not export consumer metrics to Prometheus", exporter)
	}

	var provider struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, "deploy/grafana/provisioning/dashboards/crmgraph.yml", &provider)
	mounted := false
	for _, v := range p.Services["grafana"].Volumes {
		if v.Source == repoPath(t, "deploy/grafana/crmgraph.json") &&
			len(provider.Providers) == 1 &&
			strings.HasPrefix(v.Target, provider.Providers[0].Options.Path+"/") {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("grafana does not mount crmgraph.json under its dashboard provider's path")
	}
}
