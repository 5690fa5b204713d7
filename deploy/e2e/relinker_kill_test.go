package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/neo4jtest"
)

// relinkerBuild builds the relinker binary into a temporary directory.
func relinkerBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "relinker")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/relinker")
	cmd.Dir = filepath.Join("..", "..", "relinker")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the relinker: %v\n%s", err, out)
	}
	return bin
}

// relinkerStart starts `relinker run` against the env; its log goes to a
// file that is printed if the test fails.
func relinkerStart(t *testing.T, bin string, e *relinkerEnv, name string,
	env ...string) *exec.Cmd {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run")
	cmd.Env = append(os.Environ(),
		"CRMGRAPH_NATS_URL="+e.ns.URL,
		"CRMGRAPH_NEO4J_URI="+neo4jtest.URI(),
		"CRMGRAPH_HTTP_ADDR=",
		"CRMGRAPH_LOG_LEVEL=debug",
		// A short ack wait makes the marker the killed process held
		// available again within seconds; the live process heartbeats.
		"CRMGRAPH_RELINKER_ACK_WAIT=4s")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s log:\n%s", name, b)
		}
	})
	return cmd
}

func relinkerCount(t *testing.T, e *relinkerEnv) int64 {
	t.Helper()
	return neo4jtest.Count(t, e.driver, "MATCH ()-[r]->() RETURN count(r)", nil)
}

// relinkerLinked returns the run's linked marker, or nil.
func relinkerLinked(t *testing.T, e *relinkerEnv, run string) *events.Marker {
	t.Helper()
	s, err := e.ns.JS.Stream(context.Background(), events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := events.MarkerSubject(relinkerSource, run, events.StageLinked)
	raw, err := s.GetLastMsgForSubject(context.Background(), subj)
	if err != nil {
		return nil
	}
	m, err := events.DecodeMarker(raw.Subject, raw.Header, raw.Data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRelinkerKilledMidRun kills a relinker process with SIGKILL while it
// writes a seed-scale run, starts another, and checks that the run
// completes with exactly the relationships the simulator implies.
func TestRelinkerKilledMidRun(t *testing.T) {
	bin := relinkerBuild(t)
	e := relinkerSetup(t)
	recs := e.allRecords(t)
	loaded := e.publishRun(t, "full1", recs)
	e.loadNodes(t, recs)
	want := relinkerWant(t, e.sim)
	msg, err := loaded.Msg()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ns.JS.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}

	// Small batches, one at a time, so the kill lands mid-run.
	first := relinkerStart(t, bin, e, "first", "CRMGRAPH_RELINKER_BATCH_SIZE=200",
		"CRMGRAPH_RELINKER_PARALLEL=1")
	deadline := time.Now().Add(2 * time.Minute)
	for relinkerCount(t, e) < 5000 {
		if time.Now().After(deadline) {
			t.Fatal("the first relinker wrote nothing in time")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	mid := relinkerCount(t, e)
	if mid >= int64(len(want)) || relinkerLinked(t, e, "full1") != nil {
		t.Fatalf("killed after the run finished (%d relationships): not mid-run", mid)
	}
	t.Logf("killed with %d of %d relationships written", mid, len(want))

	addr := relinkerFreeAddr(t)
	second := relinkerStart(t, bin, e, "second", "CRMGRAPH_HTTP_ADDR="+addr)
	start := time.Now()
	var linked *events.Marker
	for linked == nil {
		if time.Since(start) > 2*time.Minute {
			t.Fatal("the restarted relinker did not finish the run")
		}
		time.Sleep(100 * time.Millisecond)
		linked = relinkerLinked(t, e, "full1")
	}
	t.Logf("restarted relinker finished in %.1fs: %+v", time.Since(start).Seconds(),
		*linked.Links)
	c := linked.Links
	if c.Created+c.Unchanged != len(want) || c.Parked != 0 || c.Removed != 0 {
		t.Fatalf("counts %+v: want created + unchanged = %d, nothing parked or removed",
			*c, len(want))
	}
	relinkerSame(t, relinkerGraph(t, e.driver), want)

	for path, want := range map[string]string{
		"/health":  `"status":"ok"`,
		"/metrics": `crmgraph_relinker_runs_total{result="linked"} 1`,
	} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Fatalf("GET %s: %d, body lacks %q:\n%.2000s", path, resp.StatusCode, want, body)
		}
	}

	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.Wait(); err != nil {
		t.Fatalf("relinker did not exit cleanly on SIGTERM: %v", err)
	}

	// The other subcommands, as an operator runs them.
	out := relinkerCommand(t, bin, e, "relink", "--all")
	var counts events.LinkCounts
	if err := json.Unmarshal(out, &counts); err != nil {
		t.Fatalf("relink --all printed %q: %v", out, err)
	}
	if counts != (events.LinkCounts{Unchanged: len(want)}) {
		t.Fatalf("relink --all on a complete graph: %+v", counts)
	}
	if out := relinkerCommand(t, bin, e, "parked"); len(out) != 0 {
		t.Fatalf("parked printed %q, want nothing", out)
	}
}

// relinkerCommand runs a one-shot relinker command and returns its stdout.
func relinkerCommand(t *testing.T, bin string, e *relinkerEnv, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "CRMGRAPH_NATS_URL="+e.ns.URL,
		"CRMGRAPH_NEO4J_URI="+neo4jtest.URI())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("relinker %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// relinkerFreeAddr returns a free 127.0.0.1 port.
func relinkerFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
