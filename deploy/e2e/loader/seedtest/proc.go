package seedtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events/neo4jtest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// LoaderBinary builds loader/cmd/loader with go build, once per test
// binary, and returns its path.
func LoaderBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "crmgraph-loader-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "loader")
		out, err := exec.Command("go", "build", "-o", binPath,
			"github.com/crmgraph/crmgraph/loader/cmd/loader").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatalf("building the loader: %v", binErr)
	}
	return binPath
}

// Proc is a loader process.
type Proc struct {
	Cmd  *exec.Cmd
	done chan error
	mu   sync.Mutex
	log  []string // guarded by mu
}

// StartLoader runs the loader binary against the test's NATS and Neo4j
// (neo4jURI, or the test Neo4j when empty), with extra CRMGRAPH_*
// variables and arguments. The process is killed when the test ends.
func (e *Env) StartLoader(neo4jURI string, env []string, args ...string) *Proc {
	e.T.Helper()
	if neo4jURI == "" {
		neo4jURI = neo4jtest.URI()
	}
	cmd := exec.Command(LoaderBinary(e.T), args...)
	cmd.Env = append(os.Environ(),
		"CRMGRAPH_NATS_URL="+e.NATS.URL,
		"CRMGRAPH_NEO4J_URI="+neo4jURI,
		"CRMGRAPH_HTTP_ADDR=",
		"CRMGRAPH_LOG_LEVEL=info",
	)
	cmd.Env = append(cmd.Env, env...)
	p := &Proc{Cmd: cmd, done: make(chan error, 1)}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		e.T.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.T.Fatalf("starting the loader: %v", err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.log = append(p.log, sc.Text())
			p.mu.Unlock()
			if testing.Verbose() {
				fmt.Fprintf(os.Stderr, "[loader %d] %s\n", cmd.Process.Pid, sc.Text())
			}
		}
		p.done <- cmd.Wait()
	}()
	e.T.Cleanup(p.Kill)
	return p
}

// Kill sends SIGKILL and waits for the process to end.
func (p *Proc) Kill() {
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	_ = p.Wait(10 * time.Second)
}

// Term sends SIGTERM.
func (p *Proc) Term() error {
	return p.Cmd.Process.Signal(syscall.SIGTERM)
}

// Wait waits for the process to end and returns how it ended.
func (p *Proc) Wait(within time.Duration) error {
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(within):
		return fmt.Errorf("loader %d still running after %s", p.Cmd.Process.Pid, within)
	}
}

// Log returns the process's log so far.
func (p *Proc) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.log, "\n")
}

// Lines counts the log lines that contain s.
func (p *Proc) Lines(s string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.log {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// PeakRSS returns the process's peak resident set size (VmHWM) in bytes,
// read from /proc while it runs.
func (p *Proc) PeakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", p.Cmd.Process.Pid)
}
