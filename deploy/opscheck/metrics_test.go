package opscheck

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
)

// syncModules are the modules the test syncs (Users always come along):
// about 12,000 records with lookups among them, a fifth of the seed
// dataset, which keeps the test short on a shared two-core machine.
const syncModules = "Accounts,Deals,Campaigns"

// syncTimeout bounds the sync.
const syncTimeout = 3 * time.Minute

// logBuffer collects a process's output; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer // guarded by mu
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// stageProc is a stage binary running as its own process.
type stageProc struct {
	name string
	cmd  *exec.Cmd
	log  *logBuffer
	base string // http://127.0.0.1:<port>
	done chan struct{}
	err  error // set before done is closed
}

// startStage starts the stage binary with args and env (added to the
// clean environment) and kills it when the test ends if it still runs.
func startStage(t *testing.T, name string, port int, env []string, args ...string) *stageProc {
	t.Helper()
	p := &stageProc{name: name, log: &logBuffer{}, done: make(chan struct{}),
		base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	p.cmd = exec.Command(stageBinary(t, name), args...)
	p.cmd.Env = append(cleanEnv(), env...)
	p.cmd.Env = append(p.cmd.Env, fmt.Sprintf("CRMGRAPH_HTTP_ADDR=127.0.0.1:%d", port))
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s output (last 4 KB):\n%s", name, tail(p.log.String(), 4096))
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// get requests path of the stage and returns status and body.
func (p *stageProc) get(path string) (int, string, error) {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(p.base + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// waitHealthy waits until the stage's /health answers 200.
func (p *stageProc) waitHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was healthy: %v", p.name, p.err)
		default:
		}
		status, body, err := p.get("/health")
		if err == nil && status == http.StatusOK {
			if !strings.Contains(body, `"ok"`) {
				t.Errorf("%s /health answered 200 with %q", p.name, body)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s /health: %d %q %v after 2 minutes", p.name, status, body, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM and checks that the stage exits 0 in time.
func (p *stageProc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("%s exited with %v on SIGTERM, want 0", p.name, p.err)
		}
	case <-time.After(60 * time.Second):
		t.Errorf("%s still runs 60s after SIGTERM", p.name)
	}
}

// scrape is one /metrics answer: the sum of each metric's samples, and
// every sample line by its series (name{labels}).
type scrape struct {
	sums   map[string]float64
	series map[string]float64
}

func (p *stageProc) scrape(t *testing.T) scrape {
	t.Helper()
	status, body, err := p.get("/metrics")
	if err != nil || status != http.StatusOK {
		t.Fatalf("%s /metrics: %d %v", p.name, status, err)
	}
	s := scrape{sums: map[string]float64{}, series: map[string]float64{}}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("%s /metrics: unreadable line %q", p.name, line)
		}
		key := line[:i]
		name, _, _ := strings.Cut(key, "{")
		s.sums[name] += v
		s.series[key] = v
	}
	return s
}

// value returns the sum of the samples of name whose labels contain
// every label of match (like `result="linked"`).
func (s scrape) value(name string, match ...string) float64 {
	if len(match) == 0 {
		return s.sums[name]
	}
	total := 0.0
	for key, v := range s.series {
		n, labels, _ := strings.Cut(key, "{")
		if n != name {
			continue
		}
		ok := true
		for _, m := range match {
			ok = ok && strings.Contains(labels, m)
		}
		if ok {
			total += v
		}
	}
	return total
}

// movingSeries are the documented series (the ones deploy/ops/README.md
// lists and the dashboard shows) that one full sync must move: with the
// simulator answering some calls 429 and one undecodable record event on
// the stream, retries and dead letters move too.
var movingSeries = map[string][]string{
	"extractor": {
		"crmgraph_extractor_runs_total", "crmgraph_extractor_run_duration_seconds_count",
		"crmgraph_extractor_records_fetched_total", "crmgraph_extractor_records_published_total",
		"crmgraph_extractor_zoho_calls_total", "crmgraph_extractor_zoho_call_duration_seconds_count",
		"crmgraph_extractor_zoho_retries_total", "crmgraph_extractor_zoho_token_refreshes_total",
		"crmgraph_extractor_last_success_timestamp_seconds",
	},
	"loader": {
		"crmgraph_loader_records_total", "crmgraph_loader_nodes_total",
		"crmgraph_loader_chunks_total", "crmgraph_loader_chunk_write_seconds_count",
		"crmgraph_loader_runs_loaded_total", "crmgraph_loader_dead_letters_total",
	},
	"relinker": {
		"crmgraph_relinker_runs_total", "crmgraph_relinker_relationships_total",
		"crmgraph_relinker_records_total", "crmgraph_relinker_run_seconds_count",
	},
}

// mayBeAbsent are dashboard series a first full sync of clean data does
// not create, with the reason.
var mayBeAbsent = map[string]string{
	"crmgraph_extractor_records_unchanged_total": "a first sync has no unchanged record",
}

// TestMetricsMoveDuringSync runs the three stage binaries as separate
// processes on a real NATS server (events/natstest), the real Neo4j
// (events/neo4jtest) and the Zoho simulator, triggers a full sync through
// the extractor's HTTP trigger, scrapes every stage's /metrics during the
// sync, and checks that the documented series move, that every series the
// dashboard queries exists, that the logs are JSON with no secret in
// them, and that each stage exits 0 on SIGTERM.
func TestMetricsMoveDuringSync(t *testing.T) {
	stageBinary(t, "extractor") // build before the clocks start
	ns := natstest.Start(t)
	locked := time.Now()
	_ = neo4jtest.Open(t) // waits for other tests' use of Neo4j to end
	t.Logf("neo4j test lock taken after %.1fs", time.Since(locked).Seconds())
	secrets := map[string]string{
		"ZOHO_CLIENT_SECRET":      "opscheck-client-secret-7f3a",
		"ZOHO_REFRESH_TOKEN":      "opscheck-refresh-token-91cd",
		"CRMGRAPH_API_KEY":        "opscheck-api-key-5be2",
		"CRMGRAPH_NEO4J_PASSWORD": "opscheck-neo4j-password-c04d",
	}
	sim, err := zohosim.NewServer(zohosim.Config{ClientID: "opscheck",
		ClientSecret: secrets["ZOHO_CLIENT_SECRET"], RefreshToken: secrets["ZOHO_REFRESH_TOKEN"],
		Faults: zohosim.Faults{TooManyRate: 0.03}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })

	common := []string{"CRMGRAPH_NATS_URL=" + ns.URL, "CRMGRAPH_LOG_FORMAT=json",
		"CRMGRAPH_LOG_LEVEL=debug", "CRMGRAPH_NEO4J_URI=" + neo4jtest.URI(),
		"CRMGRAPH_NEO4J_PASSWORD=" + secrets["CRMGRAPH_NEO4J_PASSWORD"]}
	ports := freePorts(t, 3)
	procs := map[string]*stageProc{
		"loader":   startStage(t, "loader", ports[1], common, "run"),
		"relinker": startStage(t, "relinker", ports[2], common, "run"),
		"extractor": startStage(t, "extractor", ports[0], append(common,
			"CRMGRAPH_API_KEY="+secrets["CRMGRAPH_API_KEY"], "CRMGRAPH_SCHEDULE=",
			"CRMGRAPH_FULL_SCHEDULE=", "ZOHO_CLIENT_ID=opscheck",
			"ZOHO_CLIENT_SECRET="+secrets["ZOHO_CLIENT_SECRET"],
			"ZOHO_REFRESH_TOKEN="+secrets["ZOHO_REFRESH_TOKEN"],
			"ZOHO_ACCOUNTS_URL="+sim.URL, "ZOHO_API_URL="+sim.URL,
			"ZOHO_MODULES="+syncModules), "serve"),
	}
	for _, p := range procs {
		p.waitHealthy(t)
	}
	before := map[string]scrape{}
	for name, p := range procs {
		before[name] = p.scrape(t)
	}

	publishUndecodable(t, ns)
	run := trigger(t, procs["extractor"], secrets["CRMGRAPH_API_KEY"])
	t.Logf("triggered full run %s", run)

	sawRunning := false
	start := time.Now()
	phases := map[string]bool{}
	phase := func(name string, done bool) {
		if done && !phases[name] {
			phases[name] = true
			t.Logf("%s after %.1fs", name, time.Since(start).Seconds())
		}
	}
	after := map[string]scrape{}
	deadline := time.Now().Add(syncTimeout)
	for {
		for name, p := range procs {
			after[name] = p.scrape(t)
		}
		sawRunning = sawRunning || after["extractor"].value("crmgraph_extractor_run_in_progress") == 1
		phase("extracted", after["extractor"].value("crmgraph_extractor_runs_total",
			`result="extracted"`) >= 1)
		phase("loaded", after["loader"].value("crmgraph_loader_runs_loaded_total") >= 1)
		phase("linked", after["relinker"].value("crmgraph_relinker_runs_total",
			`result="linked"`) >= 1)
		if after["relinker"].value("crmgraph_relinker_runs_total", `result="linked"`) >= 1 &&
			after["loader"].value("crmgraph_loader_dead_letters_total") >= 1 {
			break
		}
		if after["extractor"].value("crmgraph_extractor_runs_total", `result="failed"`) > 0 {
			t.Fatalf("run %s failed", run)
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s not linked after %s", run, syncTimeout)
		}
		time.Sleep(250 * time.Millisecond)
	}

	if !sawRunning {
		t.Errorf("crmgraph_extractor_run_in_progress never read 1 during the sync")
	}
	if got := after["extractor"].value("crmgraph_extractor_run_in_progress"); got != 0 {
		t.Errorf("crmgraph_extractor_run_in_progress = %v after the run, want 0", got)
	}
	for stageName, names := range movingSeries {
		for _, name := range names {
			b, a := before[stageName].value(name), after[stageName].value(name)
			if a <= b {
				t.Errorf("%s %s did not move during the sync: %v -> %v", stageName, name, b, a)
			}
		}
	}
	checkDashboardSeriesExist(t, after)
	stopping := time.Now()
	for _, name := range []string{"loader", "relinker", "extractor"} {
		procs[name].stop(t)
	}
	t.Logf("stages stopped in %.1fs", time.Since(stopping).Seconds())
	for name, p := range procs {
		checkLogs(t, name, p.log.String(), secrets)
	}
}

// publishUndecodable publishes a record event the loader cannot decode
// (a Crm-Schema newer than it knows) but whose hash and times are valid,
// as a newer producer might: the loader dead-letters it, and the
// extractor's full run later replaces it with a tombstone.
func publishUndecodable(t *testing.T, ns *natstest.Server) {
	t.Helper()
	body := []byte(`{"id":"opscheck1","Last_Name":"Undecodable"}`)
	hash, err := events.CanonicalHash(body)
	if err != nil {
		t.Fatal(err)
	}
	e := events.RecordEvent{Key: events.RecordKey{Source: "zoho", Module: "Contacts",
		ID: "opscheck1"}, Op: events.OpUpsert, Run: "opscheck", Modified: time.Now(),
		Hash: hash, Body: body}
	msg, err := e.Msg()
	if err != nil {
		t.Fatal(err)
	}
	msg.Header.Set(events.HeaderSchema, "999")
	if _, err := ns.JS.PublishMsg(context.Background(), msg); err != nil {
		t.Fatalf("publishing an undecodable record event: %v", err)
	}
}

// trigger starts a full run through POST /api/v1/crm-sync and returns its
// id, after checking that a request without the key is refused.
func trigger(t *testing.T, p *stageProc, key string) string {
	t.Helper()
	post := func(key string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, p.base+"/api/v1/crm-sync?mode=full", nil)
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST /api/v1/crm-sync: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	if resp, _ := post(""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("trigger without X-API-Key answered %d, want 401", resp.StatusCode)
	}
	resp, body := post(key)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("trigger answered %d %s, want 202", resp.StatusCode, body)
	}
	var out struct{ Run string }
	if err := json.Unmarshal(body, &out); err != nil || out.Run == "" {
		t.Fatalf("trigger answer %s has no run id: %v", body, err)
	}
	return out.Run
}

// checkDashboardSeriesExist checks that every crmgraph series the Grafana
// dashboard queries is exported by its stage after a sync.
func checkDashboardSeriesExist(t *testing.T, after map[string]scrape) {
	t.Helper()
	for _, p := range loadDashboard(t).Panels {
		for _, tg := range p.Targets {
			for _, m := range crmgraphMetric.FindAllString(tg.Expr, -1) {
				stageName := strings.Split(m, "_")[1]
				if _, ok := after[stageName].sums[m]; ok {
					continue
				}
				if _, ok := mayBeAbsent[m]; ok {
					continue
				}
				t.Errorf("panel %q queries %s; %s does not export it after a sync", p.Title, m,
					stageName)
			}
		}
	}
}

// checkLogs checks that every output line of a stage is a JSON log record
// with a level and a message (CRMGRAPH_LOG_FORMAT=json), and that no
// secret the stage was given appears in it, even at debug level.
func checkLogs(t *testing.T, name, out string, secrets map[string]string) {
	t.Helper()
	lines := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		lines++
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("%s logged a line that is not JSON: %q", name, tail(line, 200))
			continue
		}
		if rec["level"] == nil || rec["msg"] == nil {
			t.Errorf("%s log record without level or msg: %q", name, tail(line, 200))
		}
	}
	if lines == 0 {
		t.Errorf("%s logged nothing", name)
	}
	for env, secret := range secrets {
		if strings.Contains(out, secret) {
			t.Errorf("%s logged the value of %s", name, env)
		}
	}
}
