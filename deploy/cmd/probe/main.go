// Command probe is the health check of crmgraph's container images. The
// images are distroless (no shell, no curl), so each one carries this
// small static binary and its HEALTHCHECK runs it:
//
//	probe [-timeout 3s] URL
//
// probe sends GET URL and exits 0 when the answer is 2xx, 1 otherwise
// (an error status, no answer, or no answer in time), and 2 on bad usage.
// It prints one line saying why on failure and nothing on success.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// Exit codes of probe.
const (
	exitHealthy   = 0
	exitUnhealthy = 1
	exitUsage     = 2
)

// errStatus means the server answered with a status other than 2xx.
var errStatus = errors.New("unhealthy status")

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run parses args, probes the URL and returns the exit code.
func run(args []string, w io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(w)
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 || *timeout <= 0 {
		fmt.Fprintln(w, "usage: probe [-timeout 3s] http://host:port/path")
		return exitUsage
	}
	target := fs.Arg(0)
	if u, err := url.Parse(target); err != nil || u.Scheme != "http" || u.Host == "" {
		fmt.Fprintf(w, "probe: %q is not an http URL\n", target)
		return exitUsage
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := probe(ctx, target); err != nil {
		fmt.Fprintf(w, "probe: %v\n", err)
		return exitUnhealthy
	}
	return exitHealthy
}

// probe sends GET target and reports whether the answer is 2xx.
func probe(ctx context.Context, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("building request for %s: %w", target, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("getting %s: %w", target, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("getting %s: %s: %w", target, resp.Status, errStatus)
	}
	return nil
}
