package pipeline

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// bin holds the binaries built for the tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "crmgraph-pipeline-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = dir
	code := 1
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles the stages and the simulator from this checkout.
func build(dir string) error {
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"github.com/crmgraph/crmgraph/extractor/cmd/extractor",
		"github.com/crmgraph/crmgraph/extractor/cmd/zohosim",
		"github.com/crmgraph/crmgraph/loader/cmd/loader",
		"github.com/crmgraph/crmgraph/relinker/cmd/relinker")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("building the stages: %v\n%s", err, out)
	}
	return nil
}
