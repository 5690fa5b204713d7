package seedtest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/zohosim"
	"github.com/crmgraph/crmgraph/sinks/archive"
)

// Archived is what CheckArchive found.
type Archived struct {
	// Lines counts every line, per module.
	Lines map[string]int
	// Files counts the sealed files, per module.
	Files map[string]int
	// Live holds, per module, the ids whose latest archived event is an
	// upsert.
	Live map[string]map[string]bool
}

// CheckArchive reads every file under dir and fails the test unless:
// no .part file is left; each module's lines are in strictly increasing
// stream order across its files (so no event is there twice); every line
// is an event of the log, with its subject, op and hash, and a record
// whose bytes hash to that hash (the published body, byte for byte); and the latest event of every
// subject in the log (what the stream holds) is there (no gap).
func CheckArchive(t testing.TB, dir string, log *Log) Archived {
	t.Helper()
	got := Archived{Lines: map[string]int{}, Files: map[string]int{},
		Live: map[string]map[string]bool{}}
	seen := map[uint64]bool{}
	latestSeq := map[string]uint64{} // subject -> highest archived seq
	latestOp := map[string]events.Op{}
	moduleDirs, err := filepath.Glob(filepath.Join(dir, Source, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, mdir := range moduleDirs {
		module := filepath.Base(mdir)
		entries, err := os.ReadDir(mdir)
		if err != nil {
			t.Fatal(err)
		}
		var prev uint64
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		slices.Sort(names)
		for _, name := range names {
			if !strings.HasSuffix(name, archive.SealedExt) {
				t.Errorf("%s/%s: not a sealed archive file", module, name)
				continue
			}
			got.Files[module]++
			path := filepath.Join(mdir, name)
			err := archive.ReadFile(path, func(l archive.Line) error {
				checkLine(t, module, name, l, prev, log)
				if seen[l.Seq] {
					t.Errorf("%s: seq %d archived twice", name, l.Seq)
				}
				seen[l.Seq] = true
				prev = l.Seq
				got.Lines[module]++
				if l.Seq > latestSeq[l.Subject] {
					latestSeq[l.Subject], latestOp[l.Subject] = l.Seq, l.Op
				}
				return nil
			})
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	for subject, seq := range log.Latest {
		if !seen[seq] {
			t.Errorf("gap: latest event of %s (seq %d) not archived", subject, seq)
		}
	}
	for subject, op := range latestOp {
		k, _ := events.ParseRecordSubject(subject)
		if got.Live[k.Module] == nil {
			got.Live[k.Module] = map[string]bool{}
		}
		if op == events.OpUpsert {
			got.Live[k.Module][k.ID] = true
		}
	}
	return got
}

func checkLine(t testing.TB, module, file string, l archive.Line, prev uint64, log *Log) {
	t.Helper()
	if l.Seq <= prev {
		t.Errorf("%s: seq %d after %d: out of order or repeated", file, l.Seq, prev)
	}
	pub, ok := log.Events[l.Seq]
	if !ok {
		t.Errorf("%s: seq %d was never published", file, l.Seq)
		return
	}
	if pub.Subject != l.Subject || pub.Module != module || pub.Op != l.Op || pub.Hash != l.Hash {
		t.Errorf("%s: seq %d is %s %s %s, published as %s %s %s", file, l.Seq,
			l.Subject, l.Op, l.Hash, pub.Subject, pub.Op, pub.Hash)
	}
	if h := events.Hash(l.Record); h != l.Hash {
		t.Errorf("%s: seq %d: record hashes to %s, line says %s: not the published bytes",
			file, l.Seq, h, l.Hash)
	}
}

// CheckLive fails the test unless the archive's live records are exactly
// the simulator's, module by module (the given modules, or all).
func CheckLive(t testing.TB, got Archived, sim *zohosim.Sim, modules ...string) {
	t.Helper()
	counts := sim.Counts()
	if len(modules) == 0 {
		modules = Modules(sim)
	}
	for _, module := range modules {
		want := 0
		err := sim.EachRecordJSON(module, func(id string, _ []byte) error {
			want++
			if !got.Live[module][id] {
				t.Errorf("%s %s: live in the simulator, not in the archive", module, id)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Live[module]) != want || want != counts.Records[module] {
			t.Errorf("%s: %d live records archived, simulator has %d", module,
				len(got.Live[module]), want)
		}
	}
}
