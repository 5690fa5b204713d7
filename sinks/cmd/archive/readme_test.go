package main_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events/natstest"
	"github.com/crmgraph/crmgraph/sinks/archive"
	"github.com/crmgraph/crmgraph/sinks/internal/seedtest"
)

// The README's commands, in order. The test fails if the README's sh
// blocks say anything else, and runs each of them.
const (
	cmdBuild   = "go build -o bin/ ./sinks/cmd/archive"
	cmdRun     = "bin/archive --dir archive"
	cmdRead    = "zcat archive/zoho/Contacts/Contacts-*.jsonl.gz | head -n 1"
	cmdReplay  = "bin/archive --dir archive-replay --replay"
	cmdGoTests = "go test ./events/sink/ ./sinks/..." // what runs this test
)

// fenced returns the lines of every fenced block of lang in a markdown
// file, one slice per block.
func fenced(t *testing.T, path, lang string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks [][]string
	var cur []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case !in && line == "```"+lang:
			in, cur = true, nil
		case in && line == "```":
			in = false
			blocks = append(blocks, cur)
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}

func TestReadmeCommandsWork(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	readme := filepath.Join(root, "sinks", "README.md")
	var cmds []string
	for _, b := range fenced(t, readme, "sh") {
		cmds = append(cmds, b...)
	}
	want := []string{cmdBuild, cmdRun, cmdRead, cmdReplay, cmdGoTests}
	if !slices.Equal(cmds, want) {
		t.Fatalf("README commands\n%q\nthe test runs\n%q", cmds, want)
	}

	// From the repository root.
	sh(t, root, cmdBuild)
	work := t.TempDir()
	if err := os.Symlink(filepath.Join(root, "bin"), filepath.Join(work, "bin")); err != nil {
		t.Fatal(err)
	}

	srv := natstest.Start(t)
	srv.Setup(t)
	sim := seedtest.NewSim(t)
	log := seedtest.NewLog()
	seedtest.PublishAll(t, srv.JS, sim, log, "Contacts")

	p := startShell(t, srv, work, cmdRun)
	waitAckFloorAtLeast(t, srv, log.Last)
	p.stop(t, syscall.SIGTERM)
	first := sh(t, work, cmdRead)
	var l archive.Line
	if err := json.Unmarshal([]byte(first), &l); err != nil || l.Seq != 1 ||
		!strings.HasPrefix(l.Subject, "crm.rec.zoho.Contacts.") {
		t.Errorf("%s printed %q (%v), want the first Contacts line", cmdRead, first, err)
	}

	p = startShell(t, srv, work, cmdReplay)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.log(), "archive replaying the stream from the start") {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not rewind the consumer", cmdReplay)
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitAckFloorAtLeast(t, srv, log.Last)
	p.stop(t, syscall.SIGTERM)
	got := seedtest.CheckArchive(t, filepath.Join(work, "archive-replay"), log)
	if got.Lines["Contacts"] != 16000 {
		t.Errorf("the replay archived %d Contacts, want 16,000", got.Lines["Contacts"])
	}
}

// sh runs a command line with bash in dir and returns its output.
func sh(t *testing.T, dir, line string) string {
	t.Helper()
	cmd := exec.Command("bash", "-c", line)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return strings.TrimSpace(string(out))
}

// startShell starts a long-running command line of the README, the
// binary taking the shell's place so that signals reach it.
func startShell(t *testing.T, srv *natstest.Server, dir, line string) *proc {
	t.Helper()
	return startCmd(t, srv, dir, "bash", "-c", "exec "+line)
}

func TestReadmeGoSnippetIsTheExample(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	blocks := fenced(t, filepath.Join(root, "sinks", "README.md"), "go")
	if len(blocks) != 1 {
		t.Fatalf("README has %d go blocks, want 1", len(blocks))
	}
	example, err := os.ReadFile(filepath.Join(root, "events", "sink", "example_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	trim := func(lines []string) string {
		out := make([]string, len(lines))
		for i, l := range lines {
			out[i] = strings.TrimSpace(l)
		}
		return strings.Join(out, "\n")
	}
	if !strings.Contains(trim(strings.Split(string(example), "\n")), trim(blocks[0])) {
		t.Errorf("the README's go block is not an excerpt of events/sink/example_test.go")
	}
}
