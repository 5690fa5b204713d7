package main_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
	"github.com/crmgraph/crmgraph/sinks/internal/seedtest"
)

// binary is the archive binary, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "archive-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "archive")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the archive binary: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is the archive binary running.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr *bytes.Buffer // guarded by mu
	done   chan error
	http   string
}

// startBinary runs the archive binary with args against srv, in dir.
func startBinary(t *testing.T, srv *natstest.Server, dir string, args ...string) *proc {
	t.Helper()
	return startCmd(t, srv, dir, binary, args...)
}

// startCmd runs a command that runs the archive against srv, in dir,
// with its own HTTP address.
func startCmd(t *testing.T, srv *natstest.Server, dir, exe string, args ...string) *proc {
	t.Helper()
	p := &proc{stderr: &bytes.Buffer{}, done: make(chan error, 1), http: freeAddr(t)}
	p.cmd = exec.Command(exe, args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), "CRMGRAPH_NATS_URL="+srv.URL,
		"CRMGRAPH_HTTP_ADDR="+p.http, "CRMGRAPH_LOG_FORMAT=json")
	p.cmd.Stderr = &lockedBuffer{b: p.stderr, mu: &p.mu}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("archive stderr:\n%s", tail(p.log(), 40))
		}
	})
	return p
}

// lockedBuffer is a buffer the process writes while the test reads it.
type lockedBuffer struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// log returns what the process wrote to stderr so far.
func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// stop sends sig and waits for the process to end; SIGTERM must end it
// cleanly.
func (p *proc) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if sig == syscall.SIGTERM && err != nil {
			t.Fatalf("archive exited with %v after SIGTERM", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("archive still running a minute after %v", sig)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// waitAckFloorAtLeast waits until the archive consumer has acknowledged
// seq, and returns its ack floor.
func waitAckFloorAtLeast(t *testing.T, srv *natstest.Server, seq uint64) uint64 {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		c, err := srv.JS.Consumer(context.Background(), events.StreamName, "archive")
		if err == nil {
			if info, err := c.Info(context.Background()); err == nil &&
				info.AckFloor.Stream >= seq {
				return info.AckFloor.Stream
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("archive did not reach seq %d within 2 minutes", seq)
	return 0
}

func get(t *testing.T, url string) string {
	t.Helper()
	var resp *http.Response
	var err error
	for range 100 { // the server starts with the process
		if resp, err = http.Get(url); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	return string(b)
}

func TestKilledMidStreamArchiveHasNoGapNorDuplicate(t *testing.T) {
	srv := natstest.Start(t)
	srv.Setup(t)
	sim := seedtest.NewSim(t)
	log := seedtest.NewLog()
	n := seedtest.PublishAll(t, srv.JS, sim, log)
	work := t.TempDir()
	args := []string{"--dir", "archive", "--max-file-records", "4000"}

	// Backfill, killed a third of the way.
	p := startBinary(t, srv, work, args...)
	if h := get(t, "http://"+p.http+"/health"); !strings.Contains(h, "ok") {
		t.Errorf("/health = %s", h)
	}
	floor := waitAckFloorAtLeast(t, srv, log.Last/3)
	p.stop(t, syscall.SIGKILL)
	parts, _ := filepath.Glob(filepath.Join(work, "archive", "zoho", "*", "*.part"))
	if len(parts) == 0 {
		t.Fatal("no open file after SIGKILL: the kill did not land mid-file")
	}
	t.Logf("killed at ack floor %d of %d, %d files left open", floor, log.Last, len(parts))

	// Changes arrive while it is down and after it is back.
	spec := zohosim.MutateSpec{Update: 0.01, Create: 0.002, Delete: 0.005}
	seedtest.PublishChanges(t, srv.JS, sim, spec, log)
	p = startBinary(t, srv, work, args...)
	seedtest.PublishChanges(t, srv.JS, sim, spec, log)

	// Killed again while the changes flow, then run to the end.
	waitAckFloorAtLeast(t, srv, floor+5000)
	p.stop(t, syscall.SIGKILL)
	seedtest.PublishChanges(t, srv.JS, sim, spec, log)
	p = startBinary(t, srv, work, args...)
	waitAckFloorAtLeast(t, srv, log.Last)
	metrics := get(t, "http://"+p.http+"/metrics")
	for _, want := range []string{"crmgraph_archive_records_total", "crmgraph_archive_last_seq",
		"go_goroutines"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	p.stop(t, syscall.SIGTERM)
	if !strings.Contains(p.log(), "archive salvaged files left open") {
		t.Errorf("the restart after SIGKILL did not report a salvage")
	}

	got := seedtest.CheckArchive(t, filepath.Join(work, "archive"), log)
	seedtest.CheckLive(t, got, sim)
	lines := 0
	for _, l := range got.Lines {
		lines += l
	}
	t.Logf("%d records published, then changes: %d lines in %d modules", n, lines, len(got.Lines))
}

func TestBadSettingStopsTheBinaryAtStart(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"flag", []string{"--max-file-bytes", "10"}, "",
			"--max-file-bytes / CRMGRAPH_ARCHIVE_MAX_FILE_BYTES"},
		{"env", nil, "CRMGRAPH_ARCHIVE_MAX_FILE_AGE=daily", "CRMGRAPH_ARCHIVE_MAX_FILE_AGE"},
		{"name", []string{"--name", "my.archive"}, "", "--name / CRMGRAPH_ARCHIVE_NAME"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(binary, tc.args...)
			cmd.Env = os.Environ()
			if tc.env != "" {
				cmd.Env = append(cmd.Env, tc.env)
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("archive started with a bad setting:\n%s", out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("error %q does not name %s", out, tc.want)
			}
		})
	}
}
