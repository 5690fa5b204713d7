package stack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Pipeline runs the simulator and the three stages as separate processes
// against one NATS server and one Neo4j, the way an operator would.
type Pipeline struct {
	// Bin is the folder holding the extractor, loader, relinker and
	// zohosim binaries.
	Bin string
	// LogDir receives one log file per process.
	LogDir string
	// NATSURL and Neo4jURI locate the servers.
	NATSURL  string
	Neo4jURI string
	// Source is the source name the extractor publishes under.
	Source string
	// Env is extra environment for every stage (KEY=VALUE).
	Env []string

	// SimURL is the simulator's address once StartSim has run.
	SimURL string
	sim    *Proc
}

// StartSim starts the Zoho simulator with extra flags (for example
// -scale 17 or -profile zoho) and waits for its READY line.
func (p *Pipeline) StartSim(ctx context.Context, args ...string) (*Proc, error) {
	args = append([]string{"-addr", "127.0.0.1:0"}, args...)
	proc, err := Start("zohosim", filepath.Join(p.Bin, "zohosim"), args, nil, p.LogDir)
	if err != nil {
		return nil, err
	}
	url, err := waitReady(ctx, proc)
	if err != nil {
		_ = proc.Stop(5 * time.Second)
		return nil, err
	}
	p.sim, p.SimURL = proc, url
	return proc, nil
}

// waitReady reads the simulator's log until its "READY <url>" line.
func waitReady(ctx context.Context, proc *Proc) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(proc.LogPath)
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if url, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				return strings.TrimSpace(url), nil
			}
		}
		select {
		case <-proc.Done():
			return "", fmt.Errorf("zohosim exited before it was ready (log: %s)", proc.LogPath)
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("zohosim not ready after 30s (log: %s)", proc.LogPath)
}

// env returns the environment every stage gets.
func (p *Pipeline) env(extra ...string) []string {
	env := []string{
		"CRMGRAPH_NATS_URL=" + p.NATSURL,
		"CRMGRAPH_NEO4J_URI=" + p.Neo4jURI,
		"CRMGRAPH_SOURCE=" + p.Source,
	}
	env = append(env, p.Env...)
	return append(env, extra...)
}

// StartStage starts a long-running stage (loader or relinker) with its
// metrics and health on httpAddr.
func (p *Pipeline) StartStage(name, httpAddr string, args ...string) (*Proc, error) {
	return Start(name, filepath.Join(p.Bin, name), args,
		p.env("CRMGRAPH_HTTP_ADDR="+httpAddr), p.LogDir)
}

// Extract runs `extractor run --mode <mode>` against the simulator, waits
// for it to exit and returns the run's extracted marker and the process,
// whose peak memory the caller may read.
func (p *Pipeline) Extract(ctx context.Context, mode events.Mode) (*events.Marker, *Proc, error) {
	if p.SimURL == "" {
		return nil, nil, fmt.Errorf("extracting: the simulator is not started")
	}
	env := p.env(
		"ZOHO_CLIENT_ID=sim", "ZOHO_CLIENT_SECRET=sim", "ZOHO_REFRESH_TOKEN=sim-refresh",
		"ZOHO_ACCOUNTS_URL="+p.SimURL, "CRMGRAPH_HTTP_ADDR=",
	)
	name := "extractor-" + string(mode)
	proc, err := Start(name, filepath.Join(p.Bin, "extractor"),
		[]string{"run", "--mode", string(mode)}, env, p.LogDir)
	if err != nil {
		return nil, nil, err
	}
	if err := proc.Wait(ctx); err != nil {
		return nil, proc, err
	}
	m, err := p.latestExtracted(ctx)
	return m, proc, err
}

func (p *Pipeline) latestExtracted(ctx context.Context) (*events.Marker, error) {
	nc, js, err := events.Connect(p.NATSURL, "crmgraph-stack")
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	m, err := LatestMarker(ctx, js, p.Source, events.StageExtracted)
	if err == nil && m == nil {
		err = fmt.Errorf("the extractor exited 0 but no extracted marker is on the stream")
	}
	return m, err
}

// Mutate asks the simulator to update, create and delete the given shares
// of its records, and returns its answer as JSON.
func (p *Pipeline) Mutate(ctx context.Context, update, create, del float64) (json.RawMessage, error) {
	body, _ := json.Marshal(map[string]float64{"update": update, "create": create, "delete": del})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.SimURL+"/_sim/mutate",
		bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mutating the simulated CRM: %w", err)
	}
	defer resp.Body.Close()
	var out json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("reading the simulator's mutation answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("mutating the simulated CRM: %s: %s", resp.Status, out)
	}
	return out, nil
}

// Markers waits for the loaded and linked markers of a run.
func (p *Pipeline) Markers(ctx context.Context, js jetstream.JetStream,
	run string) (loaded, linked *events.Marker, err error) {
	loaded, err = WaitMarker(ctx, js, p.Source, run, events.StageLoaded)
	if err != nil {
		return nil, nil, err
	}
	linked, err = WaitMarker(ctx, js, p.Source, run, events.StageLinked)
	return loaded, linked, err
}

// RestartSim stops the running simulator, if any, and starts a new one
// with the given flags.
func (p *Pipeline) RestartSim(ctx context.Context, args ...string) error {
	p.StopSim()
	_, err := p.StartSim(ctx, args...)
	return err
}

// StopSim stops the simulator.
func (p *Pipeline) StopSim() {
	if p.sim != nil {
		_ = p.sim.Stop(10 * time.Second)
		p.sim, p.SimURL = nil, ""
	}
}
