package opscheck

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	// cmd is the instruction in upper case (FROM, RUN, ...).
	cmd string
	// args is the rest of the line.
	args string
	// line is where it starts, for messages.
	line int
}

// buildStage is one FROM and the instructions under it.
type buildStage struct {
	from, name string
	insts      []instruction
}

// dockerfile is a parsed Dockerfile.
type dockerfile struct {
	path   string
	args   map[string]string // ARG defaults before the first FROM
	stages []buildStage
}

// parseDockerfile reads a Dockerfile the way BuildKit splits it: comments
// and blank lines dropped, lines ending in a backslash joined,
// instruction keywords case-insensitive.
func parseDockerfile(t *testing.T, rel string) dockerfile {
	t.Helper()
	df := dockerfile{path: rel, args: map[string]string{}}
	sc := bufio.NewScanner(strings.NewReader(readRepoFile(t, rel)))
	var pending strings.Builder
	start := 0
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if pending.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending.WriteString(cont + " ")
			continue
		}
		pending.WriteString(line)
		df.add(t, pending.String(), start)
		pending.Reset()
	}
	if pending.Len() > 0 {
		t.Fatalf("%s ends inside a continued line", rel)
	}
	return df
}

func (df *dockerfile) add(t *testing.T, text string, line int) {
	t.Helper()
	cmd, args, _ := strings.Cut(text, " ")
	in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: line}
	switch {
	case in.cmd == "FROM":
		f := strings.Fields(in.args)
		st := buildStage{from: f[0]}
		if len(f) == 3 && strings.EqualFold(f[1], "AS") {
			st.name = f[2]
		}
		df.stages = append(df.stages, st)
	case len(df.stages) == 0 && in.cmd == "ARG":
		name, def, _ := strings.Cut(in.args, "=")
		df.args[name] = def
	case len(df.stages) == 0:
		t.Fatalf("%s:%d: %s before the first FROM", df.path, line, in.cmd)
	default:
		last := &df.stages[len(df.stages)-1]
		last.insts = append(last.insts, in)
	}
}

// expand replaces ${NAME} and $NAME with the ARG defaults.
func (df dockerfile) expand(s string) string {
	return os.Expand(s, func(k string) string { return df.args[k] })
}

// all returns the instructions of st named cmd.
func (st buildStage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range st.insts {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// execForm parses a JSON-array instruction argument (["a", "b"]).
func execForm(t *testing.T, df dockerfile, in instruction, args string) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(args), &out); err != nil {
		t.Fatalf("%s:%d: %s %s is not in exec form: %v", df.path, in.line, in.cmd, args, err)
	}
	return out
}

// dockerImages are the images deploy/docker builds: the stages and the
// Zoho simulator, each with its main package, port and health path.
var dockerImages = []struct {
	name, pkg, health string
	port              int
}{
	{"extractor", "./extractor/cmd/extractor", "/health", 8080},
	{"loader", "./loader/cmd/loader", "/health", 9101},
	{"relinker", "./relinker/cmd/relinker", "/health", 9102},
	{"zohosim", "./extractor/cmd/zohosim", "/_sim/counts", 8090},
}

var goBuild = regexp.MustCompile(`(?:^|\s)CGO_ENABLED=0 go build -trimpath ` +
	`-ldflags "-s -w" -o (\S+) (\S+)`)

// TestDockerfiles checks each image's Dockerfile: a Go builder on the
// repository's workspace, static trimmed binaries of packages that exist,
// and a small final image with a non-root user, a health check that runs
// the probe against the port the binary listens on, and the binary as its
// entrypoint.
func TestDockerfiles(t *testing.T) {
	entries, err := filepath.Glob(repoPath(t, "deploy/docker/*.Dockerfile"))
	if err != nil || len(entries) != len(dockerImages) {
		t.Errorf("deploy/docker holds %d Dockerfiles, want %d (%v)", len(entries),
			len(dockerImages), err)
	}
	for _, img := range dockerImages {
		t.Run(img.name, func(t *testing.T) {
			df := parseDockerfile(t, "deploy/docker/"+img.name+".Dockerfile")
			if len(df.stages) < 2 {
				t.Fatalf("%d build stages, want a builder and a final image", len(df.stages))
			}
			built := checkBuilder(t, df, img.pkg)
			checkFinal(t, df, built, img.name, img.port, img.health)
			if img.name != "zohosim" {
				checkStageDefaults(t, df, stageNamed(t, img.name))
			}
		})
	}
}

// checkStageDefaults checks that the image's default command is one of
// the stage's and that every variable the image sets is a setting of it.
func checkStageDefaults(t *testing.T, df dockerfile, st stage) {
	t.Helper()
	final := df.stages[len(df.stages)-1]
	cmds := final.all("CMD")
	if len(cmds) != 1 {
		t.Fatalf("final stage has %d CMDs, want 1 (the subcommand)", len(cmds))
	}
	cmd := execForm(t, df, cmds[0], cmds[0].args)
	if len(cmd) == 0 || !slices.Contains(st.commands, cmd[0]) {
		t.Fatalf("CMD %v is not a command of %s (%v)", cmd, st.name, st.commands)
	}
	settings := stageSettings(t, st, cmd[0])
	for _, in := range final.all("ENV") {
		name, _, _ := strings.Cut(in.args, "=")
		if _, ok := settings[name]; !ok {
			t.Errorf("%s:%d: ENV %s is not a setting of %s %s", df.path, in.line, name,
				st.name, cmd[0])
		}
	}
}

// checkBuilder checks the first stage and returns the binaries it builds.
func checkBuilder(t *testing.T, df dockerfile, pkg string) []string {
	t.Helper()
	b := df.stages[0]
	if from := df.expand(b.from); !strings.HasPrefix(from, "golang:1.26") {
		t.Errorf("builder FROM %s, want golang:1.26", from)
	}
	if b.name == "" {
		t.Errorf("builder stage has no name (FROM ... AS build)")
	}
	copied := map[string]bool{}
	for _, in := range b.all("COPY") {
		f := strings.Fields(in.args)
		for _, src := range f[:len(f)-1] {
			checkCopySource(t, df, in, src)
			copied[src] = true
		}
	}
	for _, want := range append([]string{"go.work", "go.work.sum"}, workspaceModFiles(t)...) {
		if !copied[want] {
			t.Errorf("builder does not copy %s: the workspace would not resolve", want)
		}
	}
	built := map[string]string{}
	for _, in := range b.all("RUN") {
		for _, m := range goBuild.FindAllStringSubmatch(in.args, -1) {
			built[m[1]] = m[2]
		}
	}
	if len(built) == 0 {
		t.Fatalf(`builder runs no CGO_ENABLED=0 go build -trimpath -ldflags "-s -w"`)
	}
	if !slices.Contains(mapValues(built), pkg) {
		t.Errorf("builder does not build %s (builds %v)", pkg, built)
	}
	for out, p := range built {
		checkMainPackage(t, p)
		if !copiedBefore(copied, p) {
			t.Errorf("builder builds %s (%s) without copying its sources", p, out)
		}
	}
	return sortedKeys(built)
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// copiedBefore reports whether the sources of package p (./a/b/c) are
// under a copied directory.
func copiedBefore(copied map[string]bool, p string) bool {
	dir := strings.TrimPrefix(p, "./")
	for src := range copied {
		src = strings.TrimSuffix(src, "/")
		if dir == src || strings.HasPrefix(dir, src+"/") {
			return true
		}
	}
	return false
}

// workspaceModFiles returns the COPY source of each module go.work uses
// ("<dir>/go.*": its go.mod and, when it has one, its go.sum).
func workspaceModFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	inUse := false
	for _, line := range strings.Split(readRepoFile(t, "go.work"), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "use ("):
			inUse = true
		case inUse && line == ")":
			inUse = false
		case inUse && line != "", strings.HasPrefix(line, "use ./"):
			dir := strings.TrimPrefix(strings.TrimPrefix(line, "use "), "./")
			out = append(out, dir+"/go.*")
		}
	}
	if len(out) == 0 {
		t.Fatal("go.work uses no module")
	}
	return out
}

// checkMainPackage checks that p is a directory of the repository with a
// main package.
func checkMainPackage(t *testing.T, p string) {
	t.Helper()
	files, _ := filepath.Glob(repoPath(t, strings.TrimPrefix(p, "./")+"/*.go"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && regexp.MustCompile(`(?m)^package main$`).Match(b) {
			return
		}
	}
	t.Errorf("%s is not a main package of the repository", p)
}

// checkCopySource checks that a COPY source exists in the build context
// and that .dockerignore does not leave it out.
func checkCopySource(t *testing.T, df dockerfile, in instruction, src string) {
	t.Helper()
	if strings.HasPrefix(src, "--") {
		return
	}
	matches, _ := filepath.Glob(repoPath(t, src))
	if len(matches) == 0 {
		t.Errorf("%s:%d: COPY %s: nothing in the repository matches", df.path, in.line, src)
	}
	for _, m := range matches {
		rel, _ := filepath.Rel(repoRoot(t), m)
		if pat, ok := dockerIgnored(t, filepath.ToSlash(rel)); ok {
			t.Errorf("%s:%d: COPY %s: .dockerignore leaves %s out (%s)", df.path, in.line, src,
				rel, pat)
		}
	}
}

// checkFinal checks the last stage.
func checkFinal(t *testing.T, df dockerfile, built []string, name string, port int,
	health string) {
	t.Helper()
	final := df.stages[len(df.stages)-1]
	if final.from != "scratch" && !strings.HasPrefix(final.from, "gcr.io/distroless/static") {
		t.Errorf("final FROM %s, want scratch or gcr.io/distroless/static", final.from)
	}
	users := final.all("USER")
	if len(users) == 0 {
		t.Fatalf("final stage has no USER: it would run as root")
	}
	user, _, _ := strings.Cut(users[len(users)-1].args, ":")
	if user == "root" || user == "0" {
		t.Errorf("final stage runs as %s", user)
	}
	copied := map[string]string{}
	for _, in := range final.all("COPY") {
		f := strings.Fields(in.args)
		if len(f) != 3 || !strings.HasPrefix(f[0], "--from=") {
			t.Errorf("%s:%d: final COPY %s does not come from the builder", df.path, in.line,
				in.args)
			continue
		}
		if !slices.Contains(built, f[1]) {
			t.Errorf("%s:%d: COPY %s: the builder does not build it", df.path, in.line, f[1])
		}
		copied[f[2]] = f[1]
	}
	entry := final.all("ENTRYPOINT")
	if len(entry) != 1 {
		t.Fatalf("final stage has %d ENTRYPOINTs, want 1", len(entry))
	}
	ep := execForm(t, df, entry[0], entry[0].args)
	if len(ep) == 0 || path.Base(copied[ep[0]]) != name {
		t.Errorf("ENTRYPOINT %v does not run the %s binary", ep, name)
	}
	checkImageHealthcheck(t, df, final, copied, port, health)
}

// checkImageHealthcheck checks that the image listens on all interfaces on
// port, exposes it, and that its HEALTHCHECK runs the probe against it.
func checkImageHealthcheck(t *testing.T, df dockerfile, final buildStage,
	copied map[string]string, port int, health string) {
	t.Helper()
	if exp := final.all("EXPOSE"); len(exp) != 1 || exp[0].args != strconv.Itoa(port) {
		t.Errorf("EXPOSE %v, want %d", exp, port)
	}
	listen := ""
	for _, in := range final.all("ENV") {
		name, value, _ := strings.Cut(in.args, "=")
		if strings.HasSuffix(name, "_ADDR") {
			listen = value
		}
	}
	host, p, err := net.SplitHostPort(listen)
	if err != nil || p != strconv.Itoa(port) || (host != "0.0.0.0" && host != "") {
		t.Errorf("the image listens on %q, want 0.0.0.0:%d", listen, port)
	}
	hcs := final.all("HEALTHCHECK")
	if len(hcs) != 1 {
		t.Fatalf("final stage has %d HEALTHCHECKs, want 1", len(hcs))
	}
	_, cmd, ok := strings.Cut(hcs[0].args, "CMD ")
	if !ok {
		t.Fatalf("HEALTHCHECK %s has no CMD", hcs[0].args)
	}
	probe := execForm(t, df, hcs[0], cmd)
	want := []string{"/probe", fmt.Sprintf("http://127.0.0.1:%d%s", port, health)}
	if !slices.Equal(probe, want) {
		t.Errorf("HEALTHCHECK CMD %q, want %q", probe, want)
	}
	if copied["/probe"] == "" {
		t.Errorf("the image does not carry /probe")
	}
}

var (
	ignoreOnce     sync.Once
	ignorePatterns []string
)

// dockerIgnored reports whether .dockerignore leaves rel (a slash path
// relative to the root) out of the build context, and the pattern that
// does. It follows the rules of moby/patternmatcher that the files use:
// path.Match per pattern, "**/" for any depth, a directory pattern
// covering everything under it, and "!" re-including.
func dockerIgnored(t *testing.T, rel string) (string, bool) {
	t.Helper()
	text := readRepoFile(t, ".dockerignore")
	ignoreOnce.Do(func() {
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "#") {
				ignorePatterns = append(ignorePatterns, line)
			}
		}
	})
	hit, by := false, ""
	for _, pat := range ignorePatterns {
		neg := strings.HasPrefix(pat, "!")
		p := strings.TrimPrefix(pat, "!")
		if ignoreMatch(p, rel) {
			hit, by = !neg, pat
		}
	}
	return by, hit
}

func ignoreMatch(pattern, rel string) bool {
	parts := strings.Split(rel, "/")
	for i := 1; i <= len(parts); i++ { // rel or one of its parent directories
		prefix := strings.Join(parts[:i], "/")
		if ok, _ := path.Match(pattern, prefix); ok {
			return true
		}
		if rest, ok := strings.CutPrefix(pattern, "**/"); ok {
			for j := 0; j < i; j++ {
				if ok, _ := path.Match(rest, strings.Join(parts[j:i], "/")); ok {
					return true
				}
			}
		}
	}
	return false
}

// TestDockerignore checks that the build context keeps the workspace and
// leaves out secrets, local state and build output.
func TestDockerignore(t *testing.T) {
	cases := []struct {
		path    string
		ignored bool
	}{
		{".env", true},
		{".env.local", true},
		{".git/config", true},
		{".run/nats/nats.log", true},
		{".tools/bin/nats-server", true},
		{"deploy/neo4j/target/lib/neo4j.jar", true},
		{"extractor/zohosim/zohosim.test", true},
		{"bin/loader", true},
		{"go.work", false},
		{"go.work.sum", false},
		{"events/go.mod", false},
		{"events/stream.go", false},
		{"extractor/cmd/extractor/main.go", false},
		{"loader/go.mod", false},
		{"relinker/mapping/defaults.go", false},
		{"deploy/go.sum", false},
		{"deploy/cmd/probe/main.go", false},
		{"deploy/ops/trigger.sh", false},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			pat, got := dockerIgnored(t, c.path)
			if got != c.ignored {
				t.Errorf("ignored = %v (by %q), want %v", got, pat, c.ignored)
			}
		})
	}
}
