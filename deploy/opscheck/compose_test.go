package opscheck

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// testSecrets stand in for the secrets a user writes into .env.
var testSecrets = map[string]string{
	"CRMGRAPH_NEO4J_PASSWORD": "compose-test-password",
	"CRMGRAPH_API_KEY":        "compose-test-api-key",
}

// loadCompose loads docker-compose.yml with compose-go, the library the
// docker compose CLI is built on, as "docker compose --profile p up" would
// with .env.example copied to .env plus the secrets, and the extra
// variables. It returns the project with the profiles' services only.
func loadCompose(t *testing.T, extra map[string]string, profiles ...string) (
	*types.Project, error) {
	t.Helper()
	env := envExampleValues(t)
	for k, v := range testSecrets {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{repoPath(t, "docker-compose.yml")},
		cli.WithWorkingDirectory(repoRoot(t)), cli.WithEnv(list),
		cli.WithDefaultProfiles(profiles...), cli.WithName("crmgraph"))
	if err != nil {
		return nil, fmt.Errorf("compose options: %w", err)
	}
	return opts.LoadProject(context.Background())
}

func mustLoadCompose(t *testing.T, profiles ...string) *types.Project {
	t.Helper()
	p, err := loadCompose(t, nil, profiles...)
	if err != nil {
		t.Fatalf("loading docker-compose.yml with profiles %v: %v", profiles, err)
	}
	return p
}

// stageServices maps each stage service of docker-compose.yml to its
// stage, per pipeline profile.
var stageServices = map[string]map[string]string{
	"zoho":    {"extractor": "extractor", "loader": "loader", "relinker": "relinker"},
	"zohosim": {"extractor-sim": "extractor", "loader": "loader", "relinker": "relinker"},
	"cluster": {"extractor-cluster": "extractor", "loader-cluster": "loader",
		"relinker-cluster": "relinker"},
}

// TestComposeProfiles checks which services each profile starts: every
// pipeline profile is complete on its own (NATS, Neo4j and the three
// stages), the profile .env.example selects is zoho, and no two pipelines
// share a stage service.
func TestComposeProfiles(t *testing.T) {
	cases := []struct {
		profiles []string
		want     []string
	}{
		{nil, []string{"extractor", "loader", "nats", "neo4j", "relinker"}},
		{[]string{"zoho"}, []string{"extractor", "loader", "nats", "neo4j", "relinker"}},
		{[]string{"zohosim"}, []string{"extractor-sim", "loader", "nats", "neo4j", "relinker",
			"zohosim"}},
		{[]string{"cluster"}, []string{"extractor-cluster", "loader-cluster", "nats-1",
			"nats-2", "nats-3", "neo4j", "relinker-cluster"}},
		{[]string{"monitoring"}, []string{"grafana", "nats-exporter", "neo4j", "prometheus"}},
		{[]string{"zohosim", "monitoring"}, []string{"extractor-sim", "grafana", "loader",
			"nats", "nats-exporter", "neo4j", "prometheus", "relinker", "zohosim"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(append([]string{"profiles"}, c.profiles...), "_"), func(t *testing.T) {
			p := mustLoadCompose(t, c.profiles...)
			got := p.ServiceNames()
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("services = %v, want %v", got, c.want)
			}
		})
	}
}

// TestComposeStageServices checks each stage service of each pipeline:
// its image and Dockerfile, its command, its health check against the
// port it listens on, and that it starts only once what it needs is
// healthy.
func TestComposeStageServices(t *testing.T) {
	for profile, services := range stageServices {
		p := mustLoadCompose(t, profile)
		for name, stageName := range services {
			t.Run(profile+"_"+name, func(t *testing.T) {
				svc, ok := p.Services[name]
				if !ok {
					t.Fatalf("profile %s has no service %s", profile, name)
				}
				st := stageNamed(t, stageName)
				checkStageImage(t, svc, st)
				checkStageCommand(t, svc, st)
				port := checkListenAddr(t, svc, st)
				checkProbeHealthcheck(t, svc, port, "/health")
				checkDependsHealthy(t, p, svc)
				needs := []string{"nats"}
				if profile == "cluster" {
					needs = []string{"nats-1", "nats-2", "nats-3"}
				}
				if st.name != "extractor" {
					needs = append(needs, "neo4j")
				}
				if profile == "zohosim" && st.name == "extractor" {
					needs = append(needs, "zohosim")
				}
				for _, n := range needs {
					if _, ok := svc.DependsOn[n]; !ok {
						t.Errorf("%s does not depend on %s", name, n)
					}
				}
				if svc.Restart != types.RestartPolicyUnlessStopped {
					t.Errorf("%s restart = %q, want unless-stopped", name, svc.Restart)
				}
				if !svc.ReadOnly {
					t.Errorf("%s: root filesystem is writable; the stages write no file", name)
				}
			})
		}
	}
}

func checkStageImage(t *testing.T, svc types.ServiceConfig, st stage) {
	t.Helper()
	if want := "crmgraph/" + st.name + ":latest"; svc.Image != want {
		t.Errorf("%s image = %q, want %q", svc.Name, svc.Image, want)
	}
	if svc.Build == nil {
		t.Fatalf("%s has no build section", svc.Name)
	}
	want := "deploy/docker/" + st.name + ".Dockerfile"
	if svc.Build.Dockerfile != want {
		t.Errorf("%s dockerfile = %q, want %q", svc.Name, svc.Build.Dockerfile, want)
	}
	if !repoFileExists(t, want) {
		t.Errorf("%s: %s does not exist", svc.Name, want)
	}
	if svc.Build.Context != repoRoot(t) {
		t.Errorf("%s build context = %q, want the repository root", svc.Name, svc.Build.Context)
	}
}

func checkStageCommand(t *testing.T, svc types.ServiceConfig, st stage) {
	t.Helper()
	if len(svc.Command) == 0 {
		t.Fatalf("%s has no command", svc.Name)
	}
	want := "run"
	if st.name == "extractor" {
		want = "serve" // compose runs the scheduler and the trigger
	}
	if svc.Command[0] != want {
		t.Errorf("%s command = %v, want %s", svc.Name, svc.Command, want)
	}
}

// checkListenAddr checks that the stage listens on all interfaces on its
// port, and returns the port.
func checkListenAddr(t *testing.T, svc types.ServiceConfig, st stage) int {
	t.Helper()
	addr := envValue(svc, "CRMGRAPH_HTTP_ADDR")
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%s CRMGRAPH_HTTP_ADDR = %q: %v", svc.Name, addr, err)
	}
	if host != "0.0.0.0" && host != "" && host != "::" {
		t.Errorf("%s listens on %s: nothing outside the container reaches it", svc.Name, host)
	}
	n, _ := strconv.Atoi(port)
	if n != st.port {
		t.Errorf("%s listens on port %d, want the stage's %d", svc.Name, n, st.port)
	}
	return n
}

// checkProbeHealthcheck checks a health check that runs the images' probe
// against 127.0.0.1:port path.
func checkProbeHealthcheck(t *testing.T, svc types.ServiceConfig, port int, path string) {
	t.Helper()
	hc := svc.HealthCheck
	if hc == nil || hc.Disable {
		t.Fatalf("%s has no health check", svc.Name)
	}
	want := []string{"CMD", "/probe", fmt.Sprintf("http://127.0.0.1:%d%s", port, path)}
	if !slices.Equal([]string(hc.Test), want) {
		t.Errorf("%s health check = %q, want %q", svc.Name, hc.Test, want)
	}
	if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil {
		t.Errorf("%s health check lacks interval, timeout or retries", svc.Name)
	}
}

// checkDependsHealthy checks that every dependency is waited for with
// condition service_healthy and has a health check of its own.
func checkDependsHealthy(t *testing.T, p *types.Project, svc types.ServiceConfig) {
	t.Helper()
	if len(svc.DependsOn) == 0 {
		t.Errorf("%s depends on nothing", svc.Name)
	}
	for dep, cfg := range svc.DependsOn {
		if cfg.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s depends on %s with condition %q, want service_healthy", svc.Name, dep,
				cfg.Condition)
		}
		d, ok := p.Services[dep]
		if !ok {
			t.Errorf("%s depends on %s, which its profile does not start", svc.Name, dep)
			continue
		}
		if d.HealthCheck == nil || d.HealthCheck.Disable || len(d.HealthCheck.Test) == 0 {
			t.Errorf("%s depends on %s being healthy, but %s has no health check", svc.Name,
				dep, dep)
		}
	}
}

func envValue(svc types.ServiceConfig, name string) string {
	if v, ok := svc.Environment[name]; ok && v != nil {
		return *v
	}
	return ""
}

// TestComposeEnvironmentCoversStageSettings checks that every variable a
// stage reads is passed to each service running it, and that every value
// docker-compose.yml gives it with .env.example's defaults is one the
// stage accepts (an int or duration setting given an empty value would
// stop the stage at start).
func TestComposeEnvironmentCoversStageSettings(t *testing.T) {
	for profile, services := range stageServices {
		p := mustLoadCompose(t, profile)
		for name, stageName := range services {
			t.Run(profile+"_"+name, func(t *testing.T) {
				st := stageNamed(t, stageName)
				svc := p.Services[name]
				for env, s := range stageSettings(t, st, svc.Command[0]) {
					v, ok := svc.Environment[env]
					if !ok {
						t.Errorf("%s reads %s; service %s does not pass it", st.name, env, name)
						continue
					}
					if v == nil {
						t.Errorf("%s: %s has no value", name, env)
						continue
					}
					if err := s.valid(*v); err != nil {
						t.Errorf("%s: %s=%q is not a valid %s: %v", name, env, *v, s.kind, err)
					}
				}
			})
		}
	}
}

// TestComposeSecrets checks that the secrets come from the environment:
// without them the project does not load and the error names the
// variable, and with them Neo4j and the stages get the same password.
func TestComposeSecrets(t *testing.T) {
	for _, name := range sortedKeys(testSecrets) {
		t.Run("without_"+name, func(t *testing.T) {
			_, err := loadCompose(t, map[string]string{name: ""}, "zoho")
			if err == nil {
				t.Fatalf("docker-compose.yml loads without %s", name)
			}
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name %s", err, name)
			}
		})
	}
	t.Run("neo4j_password", func(t *testing.T) {
		p := mustLoadCompose(t, "zoho")
		pw := testSecrets["CRMGRAPH_NEO4J_PASSWORD"]
		if got := envValue(p.Services["neo4j"], "NEO4J_AUTH"); got != "neo4j/"+pw {
			t.Errorf("neo4j NEO4J_AUTH = %q, want neo4j/<CRMGRAPH_NEO4J_PASSWORD>", got)
		}
		for _, s := range []string{"loader", "relinker"} {
			svc := p.Services[s]
			if envValue(svc, "CRMGRAPH_NEO4J_PASSWORD") != pw ||
				envValue(svc, "CRMGRAPH_NEO4J_USER") != "neo4j" {
				t.Errorf("%s does not log in to Neo4j as neo4j with CRMGRAPH_NEO4J_PASSWORD", s)
			}
		}
		if got := envValue(p.Services["extractor"], "CRMGRAPH_API_KEY"); got !=
			testSecrets["CRMGRAPH_API_KEY"] {
			t.Errorf("extractor CRMGRAPH_API_KEY = %q, want the one from the environment", got)
		}
	})
}

// TestComposeInfrastructure checks NATS and Neo4j: official images,
// JetStream with its store on a named volume, health checks on the
// monitoring endpoint and on Neo4j's HTTP port, and data on volumes.
func TestComposeInfrastructure(t *testing.T) {
	p := mustLoadCompose(t, "zoho")
	t.Run("nats", func(t *testing.T) {
		nats := p.Services["nats"]
		checkImageAtLeast(t, nats.Image, "nats", 2, 11)
		cmd := strings.Join(nats.Command, " ")
		for _, want := range []string{"-js", "-sd /data", "-m 8222"} {
			if !strings.Contains(cmd, want) {
				t.Errorf("nats command %q lacks %q", cmd, want)
			}
		}
		checkVolumeAt(t, p, nats, "/data")
		checkHealthcheckURL(t, nats, "http://127.0.0.1:8222/healthz?js-enabled-only=true")
	})
	t.Run("neo4j", func(t *testing.T) {
		neo := p.Services["neo4j"]
		if neo.Image != "neo4j:5.26-community" {
			t.Errorf("neo4j image = %q, want neo4j:5.26-community", neo.Image)
		}
		checkVolumeAt(t, p, neo, "/data")
		checkHealthcheckURL(t, neo, "http://127.0.0.1:7474")
	})
	t.Run("published_ports_local", func(t *testing.T) {
		for _, profile := range []string{"zoho", "zohosim", "cluster", "monitoring"} {
			for _, svc := range mustLoadCompose(t, profile).Services {
				for _, port := range svc.Ports {
					if port.Published != "" && port.HostIP != "127.0.0.1" {
						t.Errorf("%s publishes %s on %q, want 127.0.0.1", svc.Name,
							port.Published, port.HostIP)
					}
				}
			}
		}
	})
}

// checkImageAtLeast checks that image is repo:<major>.<minor>[-variant]
// with at least the given version.
func checkImageAtLeast(t *testing.T, image, repo string, major, minor int) {
	t.Helper()
	name, tag, ok := strings.Cut(image, ":")
	if !ok || name != repo {
		t.Fatalf("image %q is not %s:<version>", image, repo)
	}
	version, _, _ := strings.Cut(tag, "-")
	parts := strings.Split(version, ".")
	if len(parts) < 2 {
		t.Fatalf("image %q has no major.minor version", image)
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || ma < major || (ma == major && mi < minor) {
		t.Errorf("image %q, want %s:%d.%d or newer", image, repo, major, minor)
	}
}

// checkVolumeAt checks that svc keeps path on a named volume the project
// declares.
func checkVolumeAt(t *testing.T, p *types.Project, svc types.ServiceConfig, path string) {
	t.Helper()
	for _, v := range svc.Volumes {
		if v.Target != path {
			continue
		}
		if v.Type != types.VolumeTypeVolume {
			t.Errorf("%s keeps %s on a %s, want a named volume", svc.Name, path, v.Type)
		}
		if _, ok := p.Volumes[v.Source]; !ok {
			t.Errorf("%s uses volume %q, which is not declared", svc.Name, v.Source)
		}
		return
	}
	t.Errorf("%s has no volume at %s", svc.Name, path)
}

// checkHealthcheckURL checks that the health check requests url.
func checkHealthcheckURL(t *testing.T, svc types.ServiceConfig, url string) {
	t.Helper()
	hc := svc.HealthCheck
	if hc == nil || len(hc.Test) == 0 {
		t.Fatalf("%s has no health check", svc.Name)
	}
	if !slices.Contains([]string(hc.Test), url) {
		t.Errorf("%s health check %q does not request %s", svc.Name, hc.Test, url)
	}
}

// TestComposeCluster checks the cluster profile: three NATS servers, each
// with its configuration file and volume; every stage connecting to all
// three and asking for stream replicas 3; two loader replicas.
func TestComposeCluster(t *testing.T) {
	p := mustLoadCompose(t, "cluster")
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("nats-%d", i)
		t.Run(name, func(t *testing.T) {
			svc := p.Services[name]
			checkVolumeAt(t, p, svc, "/data")
			checkHealthcheckURL(t, svc, "http://127.0.0.1:8222/healthz")
			conf := fmt.Sprintf("deploy/nats/%s.conf", name)
			found := false
			for _, v := range svc.Volumes {
				if v.Type == types.VolumeTypeBind && v.Source == repoPath(t, conf) {
					found = v.ReadOnly && slices.Contains(svc.Command, v.Target)
				}
			}
			if !found {
				t.Errorf("%s does not run with %s mounted read-only as its -c file", name, conf)
			}
		})
	}
	for name := range stageServices["cluster"] {
		t.Run(name, func(t *testing.T) {
			svc := p.Services[name]
			urls := envValue(svc, "CRMGRAPH_NATS_URL")
			for i := 1; i <= 3; i++ {
				if !strings.Contains(urls, fmt.Sprintf("nats://nats-%d:4222", i)) {
					t.Errorf("%s CRMGRAPH_NATS_URL = %q lacks nats-%d", name, urls, i)
				}
			}
			if got := envValue(svc, "CRMGRAPH_STREAM_REPLICAS"); got != "3" {
				t.Errorf("%s CRMGRAPH_STREAM_REPLICAS = %q, want 3", name, got)
			}
		})
	}
	loader := p.Services["loader-cluster"]
	if loader.Deploy == nil || loader.Deploy.Replicas == nil || *loader.Deploy.Replicas != 2 {
		t.Errorf("loader-cluster does not run two replicas")
	}
	if len(loader.Ports) != 0 {
		t.Errorf("loader-cluster publishes ports; two replicas cannot share them")
	}
}
