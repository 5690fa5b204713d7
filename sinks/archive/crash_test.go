package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/sink"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// rec returns a Contacts record event at seq.
func rec(seq uint64) sink.Record {
	id := fmt.Sprintf("%d", 3652397000000000000+seq)
	body := fmt.Appendf(nil, `{"id":%q,"Last_Name":"Ångström <%d> & Sons","n":%d}`, id, seq, seq)
	return sink.Record{
		RecordEvent: events.RecordEvent{
			Key: events.RecordKey{Source: "zoho", Module: "Contacts", ID: id},
			Op:  events.OpUpsert, Run: "20250101T000000Z-000000", Hash: events.Hash(body),
			Modified: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), Body: body,
		},
		Seq:    seq,
		Stored: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
	}
}

func mustOpen(t *testing.T, cfg Config) *Archive {
	t.Helper()
	a, err := Open(cfg, quiet(), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return a
}

func write(t *testing.T, a *Archive, seqs ...uint64) {
	t.Helper()
	for _, s := range seqs {
		if err := a.Write(context.Background(), rec(s)); err != nil {
			t.Fatalf("writing seq %d: %v", s, err)
		}
	}
}

// crash leaves the archive as a killed process would: open files as they
// are, the lock released by the kernel.
func crash(a *Archive) {
	for _, m := range a.modules {
		if m.seg != nil {
			m.seg.abandon()
		}
	}
	a.unlock()
}

// lines reads every line of a module, file after file.
func lines(t *testing.T, dir string) []uint64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "zoho", "Contacts", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, f := range files {
		err := ReadFile(f, func(l Line) error {
			if l.Hash != events.Hash(l.Record) {
				t.Errorf("seq %d: record does not match its hash", l.Seq)
			}
			seqs = append(seqs, l.Seq)
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
	return seqs
}

func seqRange(from, to uint64) []uint64 {
	var s []uint64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func TestCrashLeavesFileThatIsSalvaged(t *testing.T) {
	for _, tc := range []struct {
		name string
		cut  func(size int64) int64 // new size of the open file
		last uint64                 // highest sequence left whole
	}{
		{"whole records, no trailer", func(n int64) int64 { return n }, 25},
		{"last record torn", func(n int64) int64 { return n - 7 }, 24},
		{"torn deep into the file", func(n int64) int64 { return n / 2 }, 0},
		{"only a partial gzip header", func(int64) int64 { return 5 }, 20},
		{"empty file", func(int64) int64 { return 0 }, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := Config{Dir: dir, MaxFileRecords: 10}
			a := mustOpen(t, cfg)
			write(t, a, seqRange(1, 25)...) // seals 1-10 and 11-20; 21-25 stay open
			part := a.modules["zoho/Contacts"].seg.partPath()
			crash(a)
			st, err := os.Stat(part)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(part, tc.cut(st.Size())); err != nil {
				t.Fatal(err)
			}

			a = mustOpen(t, cfg)
			defer a.Close()
			last := a.LastSeq("zoho", "Contacts")
			if tc.last != 0 && last != tc.last {
				t.Fatalf("recovered last seq %d, want %d", last, tc.last)
			}
			if last < 20 || last > 25 {
				t.Fatalf("recovered last seq %d, want 20 to 25", last)
			}
			if _, err := os.Stat(part); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("open file still there after salvage: %v", err)
			}
			// The server redelivers from the last acknowledged record on:
			// records already whole are skipped, the rest written.
			write(t, a, seqRange(21, 30)...)
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			got := lines(t, dir)
			want := seqRange(1, 30)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("archived %v\nwant     %v", got, want)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	a := mustOpen(t, Config{Dir: dir, MaxFileRecords: 10, MaxFileAge: time.Hour})
	write(t, a, seqRange(1, 35)...)
	files, _ := filepath.Glob(filepath.Join(dir, "zoho", "Contacts", "*"+SealedExt))
	parts, _ := filepath.Glob(filepath.Join(dir, "zoho", "Contacts", "*"+PartExt))
	if len(files) != 3 || len(parts) != 1 {
		t.Fatalf("%d sealed and %d open files, want 3 and 1", len(files), len(parts))
	}
	if want := "Contacts-00000000000000000021" + SealedExt; filepath.Base(files[2]) != want {
		t.Errorf("third file %s, want %s", filepath.Base(files[2]), want)
	}
	if err := a.SealIdle(time.Now().Add(30 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	parts, _ = filepath.Glob(filepath.Join(dir, "zoho", "Contacts", "*"+PartExt))
	if len(parts) != 1 {
		t.Errorf("a file younger than MaxFileAge was sealed")
	}
	if err := a.SealIdle(time.Now().Add(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	parts, _ = filepath.Glob(filepath.Join(dir, "zoho", "Contacts", "*"+PartExt))
	if len(parts) != 0 {
		t.Errorf("a file older than MaxFileAge was left open")
	}
	write(t, a, 36)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ = filepath.Glob(filepath.Join(dir, "zoho", "Contacts", "*"+SealedExt))
	if len(files) != 5 {
		t.Errorf("%d sealed files after close, want 5", len(files))
	}
	if got := lines(t, dir); fmt.Sprint(got) != fmt.Sprint(seqRange(1, 36)) {
		t.Errorf("archived %v", got)
	}

	// Size rotation: files are sealed once their compressed size reaches
	// MaxFileBytes.
	dir = t.TempDir()
	a = mustOpen(t, Config{Dir: dir, MaxFileBytes: 1024})
	write(t, a, seqRange(1, 200)...)
	a.Close()
	files, _ = filepath.Glob(filepath.Join(dir, "zoho", "Contacts", "*"+SealedExt))
	if len(files) < 5 {
		t.Errorf("%d files for 200 records and 1 KiB files", len(files))
	}
	for _, f := range files[:len(files)-1] {
		if st, _ := os.Stat(f); st.Size() < 1024 || st.Size() > 1024+512 {
			t.Errorf("%s: %d bytes, want just over 1 KiB", filepath.Base(f), st.Size())
		}
	}
}

func TestOneProcessPerDirectory(t *testing.T) {
	dir := t.TempDir()
	a := mustOpen(t, Config{Dir: dir})
	if _, err := Open(Config{Dir: dir}, quiet(), nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	a.Close()
	b := mustOpen(t, Config{Dir: dir})
	b.Close()
}

func TestWriteSkipsWhatItHolds(t *testing.T) {
	dir := t.TempDir()
	a := mustOpen(t, Config{Dir: dir})
	write(t, a, 5, 9, 9, 3, 12)
	a.Close()
	if got := lines(t, dir); fmt.Sprint(got) != "[5 9 12]" {
		t.Errorf("archived %v, want [5 9 12]", got)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{Dir: "x"}, true},
		{"no directory", Config{}, false},
		{"tiny files", Config{Dir: "x", MaxFileBytes: 10}, false},
		{"negative records", Config{Dir: "x", MaxFileRecords: -1}, false},
		{"age never", Config{Dir: "x", MaxFileAge: -1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrBadConfig)) {
				t.Fatalf("Validate = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
