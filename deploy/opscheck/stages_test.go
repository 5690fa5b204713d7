package opscheck

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// stage describes one stage binary as the deployment files must know it.
type stage struct {
	// name is the stage and binary name (extractor, loader, relinker).
	name string
	// pkg is the main package, relative to the repository root.
	pkg string
	// port is the port of the stage's default HTTP address (metrics,
	// health, and the extractor's trigger).
	port int
	// commands are the subcommands a deployment runs.
	commands []string
}

// stages are the three stage binaries.
var stages = []stage{
	{name: "extractor", pkg: "./extractor/cmd/extractor", port: 8080,
		commands: []string{"serve", "run"}},
	{name: "loader", pkg: "./loader/cmd/loader", port: 9101, commands: []string{"run"}},
	{name: "relinker", pkg: "./relinker/cmd/relinker", port: 9102, commands: []string{"run"}},
}

// stageNamed returns the stage called name.
func stageNamed(t *testing.T, name string) stage {
	t.Helper()
	for _, s := range stages {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("no stage %q", name)
	return stage{}
}

// setting is one setting a stage command reads from the environment.
type setting struct {
	// env is the environment variable.
	env string
	// flag is the flag bound to it; empty for a variable the stage reads
	// with os.Getenv or os.LookupEnv only.
	flag string
	// kind is the flag's value type as -h prints it: string, int,
	// duration, or bool (printed without a type).
	kind string
	// def is the default -h prints with a clean environment; "" when it
	// prints none (the zero value).
	def string
}

// valid reports whether v is a value the setting's type accepts, the way
// events/app.Settings parses it.
func (s setting) valid(v string) error {
	var err error
	switch s.kind {
	case "int":
		_, err = strconv.Atoi(v)
	case "duration":
		_, err = time.ParseDuration(v)
	case "bool":
		_, err = strconv.ParseBool(v)
	}
	return err
}

// sameValue reports whether v equals the setting's default, comparing
// durations and numbers by value (2m and 2m0s are the same).
func (s setting) sameValue(v string) bool {
	switch s.kind {
	case "duration":
		a, err1 := time.ParseDuration(v)
		b, err2 := time.ParseDuration(orZero(s.def, "0s"))
		return err1 == nil && err2 == nil && a == b
	case "int":
		a, err1 := strconv.Atoi(v)
		b, err2 := strconv.Atoi(orZero(s.def, "0"))
		return err1 == nil && err2 == nil && a == b
	case "bool":
		a, err1 := strconv.ParseBool(v)
		b, err2 := strconv.ParseBool(orZero(s.def, "false"))
		return err1 == nil && err2 == nil && a == b
	}
	return v == s.def
}

func orZero(v, zero string) string {
	if v == "" {
		return zero
	}
	return v
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// stageBinary builds the three stage binaries once per test run and
// returns the path of name's.
func stageBinary(t *testing.T, name string) string {
	t.Helper()
	root := repoRoot(t)
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "opscheck-bin-")
		if buildErr != nil {
			return
		}
		args := []string{"build", "-o", binDir + string(filepath.Separator)}
		for _, s := range stages {
			args = append(args, s.pkg)
		}
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build of the stages: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, name)
}

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// cleanEnv is the environment -h runs with: no CRMGRAPH_*, ZOHO_* or
// NEO4J_* variable of the caller, so that -h prints the built-in defaults
// (events/app.Settings takes a flag's default from its variable).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "CRMGRAPH_") || strings.HasPrefix(name, "ZOHO_") ||
			strings.HasPrefix(name, "NEO4J_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

var (
	helpMu    sync.Mutex
	helpCache = map[string]map[string]setting{}
)

// stageSettings returns what "<stage> <command>" reads from the
// environment, keyed by variable: the flags whose usage ends in
// "(env NAME)", which every setting bound through events/app.Settings
// does, plus the variables the binary's own packages read with
// os.Getenv or os.LookupEnv.
func stageSettings(t *testing.T, st stage, command string) map[string]setting {
	t.Helper()
	key := st.name + " " + command
	helpMu.Lock()
	defer helpMu.Unlock()
	if s, ok := helpCache[key]; ok {
		return s
	}
	cmd := exec.Command(stageBinary(t, st.name), command, "-h")
	cmd.Env = cleanEnv()
	out, _ := cmd.CombinedOutput() // -h exits non-zero in some binaries
	settings, err := parseHelp(out)
	if err != nil {
		t.Fatalf("%s -h: %v\n%s", key, err, out)
	}
	if len(settings) == 0 {
		t.Fatalf("%s -h prints no setting with \"(env NAME)\":\n%s", key, out)
	}
	for _, name := range getenvNames(t, st) {
		if _, ok := settings[name]; !ok {
			settings[name] = setting{env: name, kind: "string"}
		}
	}
	helpCache[key] = settings
	return settings
}

var (
	flagLine = regexp.MustCompile(`^  -([a-zA-Z0-9][a-zA-Z0-9-]*)(?: ([a-z]+))?$`)
	envNote  = regexp.MustCompile(`\(env ([A-Z][A-Z0-9_]*)\)`)
	defNote  = regexp.MustCompile(`\(default (.*)\)$`)
)

// parseHelp reads the flag blocks of Go's flag.PrintDefaults:
//
//	-name type
//	    	usage (env NAME) (default value)
func parseHelp(out []byte) (map[string]setting, error) {
	settings := map[string]setting{}
	var cur *setting
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if m := flagLine.FindStringSubmatch(line); m != nil {
			kind := m[2]
			if kind == "" {
				kind = "bool"
			}
			cur = &setting{flag: m[1], kind: kind}
			continue
		}
		if cur == nil || !strings.HasPrefix(line, "    \t") {
			cur = nil
			continue
		}
		usage := strings.TrimSpace(line)
		if m := defNote.FindStringSubmatch(usage); m != nil {
			cur.def = strings.Trim(m[1], `"`)
			usage = strings.TrimSpace(strings.TrimSuffix(usage, m[0]))
		}
		if m := envNote.FindStringSubmatch(usage); m != nil {
			cur.env = m[1]
			if prev, dup := settings[cur.env]; dup && prev.flag != cur.flag {
				return nil, fmt.Errorf("flags -%s and -%s both read %s", prev.flag, cur.flag,
					cur.env)
			}
			settings[cur.env] = *cur
		}
	}
	return settings, sc.Err()
}

// getenvNames returns the variables the stage binary's own packages read
// with os.Getenv or os.LookupEnv and a string literal, found by parsing the
// non-test Go files of every crmgraph package the binary imports.
func getenvNames(t *testing.T, st stage) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, dir := range crmgraphPackageDirs(t, st.pkg) {
		for _, f := range parseDir(t, dir.dir, dir.files) {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 1 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "Getenv" && sel.Sel.Name != "LookupEnv") {
					return true
				}
				if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "os" {
					return true
				}
				if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, err := strconv.Unquote(lit.Value); err == nil {
						seen[v] = true
					}
				}
				return true
			})
		}
	}
	return sortedKeys(seen)
}

// pkgDir is a package directory and its non-test Go files.
type pkgDir struct {
	dir   string
	files []string
}

var (
	depsMu    sync.Mutex
	depsCache = map[string][]pkgDir{}
)

// crmgraphPackageDirs lists the crmgraph packages main (a package path
// relative to the root) is built from, itself included.
func crmgraphPackageDirs(t *testing.T, main string) []pkgDir {
	t.Helper()
	depsMu.Lock()
	defer depsMu.Unlock()
	if d, ok := depsCache[main]; ok {
		return d
	}
	cmd := exec.Command("go", "list", "-deps", "-f",
		`{{if .Module}}{{.Module.Path}}{{end}}|{{.Dir}}|{{join .GoFiles ","}}`, main)
	cmd.Dir = repoRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", main, err, stderr.String())
	}
	var dirs []pkgDir
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[0], "github.com/crmgraph/crmgraph/") {
			continue
		}
		var files []string
		if parts[2] != "" {
			files = strings.Split(parts[2], ",")
		}
		dirs = append(dirs, pkgDir{dir: parts[1], files: files})
	}
	if len(dirs) == 0 {
		t.Fatalf("go list -deps %s: no crmgraph package", main)
	}
	depsCache[main] = dirs
	return dirs
}

// parseDir parses the named Go files of dir.
func parseDir(t *testing.T, dir string, files []string) []*ast.File {
	t.Helper()
	fset := token.NewFileSet()
	var out []*ast.File
	for _, name := range files {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parsing %s: %v", filepath.Join(dir, name), err)
		}
		out = append(out, f)
	}
	return out
}

// errNoStage means a service or container runs no known stage.
var errNoStage = errors.New("no stage")

// TestStageSettingsAreDiscovered checks the discovery the other tests rely
// on: each stage command prints its settings with their variables, and a
// few settings the conventions require are among them with their
// documented defaults.
func TestStageSettingsAreDiscovered(t *testing.T) {
	cases := []struct {
		stage, command, env, def string
	}{
		{"extractor", "serve", "CRMGRAPH_NATS_URL", "nats://127.0.0.1:4222"},
		{"extractor", "serve", "CRMGRAPH_HTTP_ADDR", "127.0.0.1:8080"},
		{"extractor", "serve", "CRMGRAPH_API_KEY", ""},
		{"extractor", "run", "CRMGRAPH_MODE", "incremental"},
		{"loader", "run", "CRMGRAPH_HTTP_ADDR", "127.0.0.1:9101"},
		{"loader", "run", "CRMGRAPH_NEO4J_URI", "bolt://127.0.0.1:7687"},
		{"loader", "run", "CRMGRAPH_NEO4J_PASSWORD", ""},
		{"relinker", "run", "CRMGRAPH_HTTP_ADDR", "127.0.0.1:9102"},
		{"relinker", "run", "CRMGRAPH_NEO4J_PASSWORD", ""},
	}
	for _, c := range cases {
		t.Run(c.stage+"_"+c.command+"_"+c.env, func(t *testing.T) {
			got, ok := stageSettings(t, stageNamed(t, c.stage), c.command)[c.env]
			if !ok {
				t.Fatalf("%s %s does not read %s", c.stage, c.command, c.env)
			}
			if got.def != c.def {
				t.Errorf("%s default = %q, want %q", c.env, got.def, c.def)
			}
		})
	}
}
