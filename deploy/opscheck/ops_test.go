package opscheck

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/robfig/cron/v3"
)

// unit is a parsed systemd unit file: section -> key -> values (a key
// may repeat).
type unit map[string]map[string][]string

// parseUnit reads a systemd unit: [Section] headers, Key=Value lines,
// comments starting with # or ;.
func parseUnit(t *testing.T, rel string) unit {
	t.Helper()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(readRepoFile(t, rel)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: %q is neither a section nor Key=Value", rel, n, line)
			}
			u[section][key] = append(u[section][key], value)
		}
	}
	return u
}

func (u unit) get(section, key string) string {
	if v := u[section][key]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

// TestSystemdUnits checks the timer and service pair: the timer starts
// the service of the same directory, on a calendar, persistently, and is
// installed into timers.target; the service is a oneshot that runs the
// trigger script with the settings from its environment file.
func TestSystemdUnits(t *testing.T) {
	timer := parseUnit(t, "deploy/ops/systemd/crmgraph-sync.timer")
	service := parseUnit(t, "deploy/ops/systemd/crmgraph-sync.service")

	target := timer.get("Timer", "Unit")
	if target == "" {
		target = "crmgraph-sync.service" // a timer starts the service of its own name
	}
	if !repoFileExists(t, "deploy/ops/systemd/"+target) {
		t.Errorf("the timer starts %s, which deploy/ops/systemd does not hold", target)
	}
	if timer.get("Timer", "OnCalendar") == "" || timer.get("Timer", "Persistent") != "true" {
		t.Errorf("the timer needs OnCalendar= and Persistent=true")
	}
	if timer.get("Install", "WantedBy") != "timers.target" {
		t.Errorf("the timer is not installed into timers.target")
	}
	if service.get("Service", "Type") != "oneshot" {
		t.Errorf("the service Type = %q, want oneshot", service.get("Service", "Type"))
	}
	if service.get("Service", "EnvironmentFile") == "" {
		t.Errorf("the service reads no EnvironmentFile (CRMGRAPH_TRIGGER_URL, CRMGRAPH_API_KEY)")
	}
	exec := service.get("Service", "ExecStart")
	if exec != "/usr/local/bin/crmgraph-trigger" {
		t.Errorf("ExecStart=%s, want /usr/local/bin/crmgraph-trigger", exec)
	}
	install := "install -m 755 deploy/ops/trigger.sh " + exec
	if !strings.Contains(readRepoFile(t, "deploy/ops/README.md"), install) {
		t.Errorf("deploy/ops/README.md does not say %q", install)
	}
	if _, ok := service["Install"]; ok {
		t.Errorf("the service has an [Install] section: the timer starts it, not a target")
	}
}

// fakeTrigger is an HTTP server answering like the extractor's trigger
// endpoint, recording the requests it got.
type fakeTrigger struct {
	*httptest.Server
	key    string
	status int

	mu   sync.Mutex
	seen []*http.Request // guarded by mu
}

func newFakeTrigger(t *testing.T, key string, status int) *fakeTrigger {
	t.Helper()
	f := &fakeTrigger{key: key, status: status}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen = append(f.seen, r)
		f.mu.Unlock()
		switch {
		case r.Method != http.MethodPost || r.URL.Path != "/api/v1/crm-sync":
			w.WriteHeader(http.StatusNotFound)
		case r.Header.Get("X-API-Key") != f.key:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintln(w, `{"error":"missing or wrong X-API-Key"}`)
		default:
			w.WriteHeader(f.status)
			fmt.Fprintf(w, `{"run":"r1","mode":%q}`+"\n", r.URL.Query().Get("mode"))
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeTrigger) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.seen...)
}

// writeTriggerEnv writes the environment file the recipes read.
func writeTriggerEnv(t *testing.T, url, key string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "trigger.env")
	body := fmt.Sprintf("CRMGRAPH_TRIGGER_URL=%s/api/v1/crm-sync\nCRMGRAPH_API_KEY=%s\n", url, key)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCrontabLine checks the crontab recipe: one line, five valid
// schedule fields, no unescaped % (cron turns it into a newline), and a
// command that, run by /bin/sh as cron runs it, POSTs to the trigger with
// the key in X-API-Key.
func TestCrontabLine(t *testing.T) {
	var lines []string
	for _, l := range strings.Split(readRepoFile(t, "deploy/ops/crontab"), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("deploy/ops/crontab has %d entries, want 1", len(lines))
	}
	fields := strings.Fields(lines[0])
	if len(fields) < 6 {
		t.Fatalf("crontab line %q: want 5 schedule fields and a command", lines[0])
	}
	spec := strings.Join(fields[:5], " ")
	if _, err := cron.ParseStandard(spec); err != nil {
		t.Errorf("schedule %q: %v", spec, err)
	}
	command := strings.Join(fields[5:], " ")
	if strings.Contains(command, "%") {
		t.Errorf("the command holds %%, which cron turns into a newline")
	}
	if !strings.Contains(command, `-H "X-API-Key: $CRMGRAPH_API_KEY"`) {
		t.Errorf("the command does not send X-API-Key")
	}
	if !strings.Contains(readRepoFile(t, "deploy/ops/README.md"), lines[0]) {
		t.Errorf("deploy/ops/README.md does not show the crontab line as it is in the file")
	}

	const key = "cron-test-key"
	f := newFakeTrigger(t, key, http.StatusAccepted)
	env := writeTriggerEnv(t, f.URL, key)
	cmd := exec.Command("/bin/sh", "-c", strings.ReplaceAll(command, "/etc/crmgraph/trigger.env",
		env))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")} // cron's bare environment
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("running the crontab command: %v\n%s", err, out)
	}
	reqs := f.requests()
	if len(reqs) != 1 || reqs[0].Header.Get("X-API-Key") != key {
		t.Errorf("the trigger got %d requests, want one POST with the key", len(reqs))
	}
}

// TestTriggerScript runs deploy/ops/trigger.sh, which the systemd service
// and the Railway image run, against trigger answers: 202 and 409 are
// success, anything else a failure; the key is sent and never printed.
func TestTriggerScript(t *testing.T) {
	const key = "script-test-key"
	cases := []struct {
		name     string
		status   int
		mode     string
		sendKey  string
		wantExit int
		wantReqs int // curl --retry 3 retries a 5xx three times
	}{
		{"accepted", http.StatusAccepted, "", key, 0, 1},
		{"full_run", http.StatusAccepted, "full", key, 0, 1},
		{"run_in_progress", http.StatusConflict, "", key, 0, 1},
		{"wrong_key", http.StatusAccepted, "", "not-the-key", 1, 1},
		{"server_error", http.StatusServiceUnavailable, "", key, 1, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeTrigger(t, key, c.status)
			cmd := exec.Command("/bin/sh", repoPath(t, "deploy/ops/trigger.sh"))
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"),
				"CRMGRAPH_TRIGGER_URL=" + f.URL + "/api/v1/crm-sync",
				"CRMGRAPH_API_KEY=" + c.sendKey}
			if c.mode != "" {
				cmd.Env = append(cmd.Env, "CRMGRAPH_MODE="+c.mode)
			}
			out, err := cmd.CombinedOutput()
			exit := 0
			if ee, ok := err.(*exec.ExitError); ok {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if exit != c.wantExit {
				t.Errorf("exit %d, want %d\n%s", exit, c.wantExit, out)
			}
			if strings.Contains(string(out), c.sendKey) {
				t.Errorf("the output shows the API key:\n%s", out)
			}
			reqs := f.requests()
			if len(reqs) != c.wantReqs {
				t.Fatalf("the trigger got %d requests, want %d", len(reqs), c.wantReqs)
			}
			want := c.mode
			if want == "" {
				want = "incremental"
			}
			if got := reqs[0].URL.Query().Get("mode"); got != want {
				t.Errorf("mode=%q, want %q", got, want)
			}
		})
	}
	t.Run("missing_settings", func(t *testing.T) {
		cmd := exec.Command("/bin/sh", repoPath(t, "deploy/ops/trigger.sh"))
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "CRMGRAPH_TRIGGER_URL") {
			t.Errorf("without settings: err %v, output %q; want a failure naming the setting",
				err, out)
		}
	})
}

// TestRailwayRecipe checks railway.json: a cron schedule Railway accepts
// (five fields, UTC, every 5 minutes at most), a service that exits
// (restart policy NEVER), and a Dockerfile that exists and runs the
// trigger script it copies from the build context.
func TestRailwayRecipe(t *testing.T) {
	var cfg struct {
		Schema string `json:"$schema"`
		Build  struct {
			Builder        string `json:"builder"`
			DockerfilePath string `json:"dockerfilePath"`
		} `json:"build"`
		Deploy struct {
			CronSchedule      string `json:"cronSchedule"`
			RestartPolicyType string `json:"restartPolicyType"`
			StartCommand      string `json:"startCommand"`
		} `json:"deploy"`
	}
	dec := json.NewDecoder(strings.NewReader(readRepoFile(t, "deploy/ops/railway/railway.json")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("railway.json: %v", err)
	}
	if _, err := cron.ParseStandard(cfg.Deploy.CronSchedule); err != nil {
		t.Errorf("cronSchedule %q: %v", cfg.Deploy.CronSchedule, err)
	}
	if strings.HasPrefix(cfg.Deploy.CronSchedule, "* ") ||
		strings.HasPrefix(cfg.Deploy.CronSchedule, "*/1 ") {
		t.Errorf("cronSchedule %q runs every minute; Railway's shortest interval is 5 minutes",
			cfg.Deploy.CronSchedule)
	}
	if cfg.Deploy.RestartPolicyType != "NEVER" {
		t.Errorf("restartPolicyType %q, want NEVER: a cron service exits when done",
			cfg.Deploy.RestartPolicyType)
	}
	if cfg.Build.Builder != "DOCKERFILE" || !repoFileExists(t, cfg.Build.DockerfilePath) {
		t.Fatalf("build %+v: want DOCKERFILE and an existing dockerfilePath", cfg.Build)
	}
	df := parseDockerfile(t, cfg.Build.DockerfilePath)
	final := df.stages[len(df.stages)-1]
	copies := map[string]string{}
	for _, in := range final.all("COPY") {
		f := strings.Fields(in.args)
		checkCopySource(t, df, in, f[len(f)-2])
		copies[f[len(f)-1]] = f[len(f)-2]
	}
	entry := final.all("ENTRYPOINT")
	if len(entry) != 1 {
		t.Fatalf("%s has %d ENTRYPOINTs, want 1", cfg.Build.DockerfilePath, len(entry))
	}
	ep := execForm(t, df, entry[0], entry[0].args)
	if copies[ep[0]] != "deploy/ops/trigger.sh" {
		t.Errorf("ENTRYPOINT %v does not run deploy/ops/trigger.sh", ep)
	}
	if users := final.all("USER"); len(users) == 0 || users[0].args == "root" {
		t.Errorf("the trigger image runs as root")
	}
}
