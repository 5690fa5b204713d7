package archive

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// File name suffixes: a sealed file, and a file still being written.
const (
	SealedExt = ".jsonl.gz"
	PartExt   = ".jsonl.gz.part"
)

// baseName returns <module>-<first seq>, the sequence padded to 20 digits
// so that names sort in stream order.
func baseName(module string, first uint64) string {
	return fmt.Sprintf("%s-%020d", module, first)
}

// segment is a module's open file. Every record is compressed, flushed
// through the gzip stream and written to the file before append returns,
// so a crash can only tear the record being written.
type segment struct {
	dir     string
	name    string // base name, without suffix
	base    uint64 // the module's last sequence before this file
	f       *os.File
	cw      *countWriter
	bw      *bufio.Writer
	gz      *gzip.Writer
	records int
	opened  time.Time
	sync    bool
}

// countWriter counts the bytes written to a file.
type countWriter struct {
	f *os.File
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.f.Write(p)
	c.n += int64(n)
	return n, err
}

// createSegment opens a new file for module in dir, whose first record
// will be first.
func createSegment(dir, module string, first, base uint64, sync bool) (*segment, error) {
	name := baseName(module, first)
	f, err := os.OpenFile(filepath.Join(dir, name+PartExt), os.O_CREATE|os.O_EXCL|os.O_WRONLY,
		0o644)
	if err != nil {
		return nil, fmt.Errorf("creating archive file: %w", err)
	}
	cw := &countWriter{f: f}
	bw := bufio.NewWriterSize(cw, 256<<10)
	return &segment{dir: dir, name: name, base: base, f: f, cw: cw, bw: bw,
		gz: gzip.NewWriter(bw), opened: time.Now(), sync: sync}, nil
}

func (s *segment) partPath() string   { return filepath.Join(s.dir, s.name+PartExt) }
func (s *segment) sealedPath() string { return filepath.Join(s.dir, s.name+SealedExt) }

// append writes one line (newline included) through to the file.
func (s *segment) append(line []byte) error {
	if _, err := s.gz.Write(line); err != nil {
		return fmt.Errorf("compressing into %s: %w", s.name, err)
	}
	if err := s.gz.Flush(); err != nil {
		return fmt.Errorf("flushing %s: %w", s.name, err)
	}
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", s.name, err)
	}
	if s.sync {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("syncing %s: %w", s.name, err)
		}
	}
	s.records++
	return nil
}

// size returns the compressed bytes written so far.
func (s *segment) size() int64 { return s.cw.n }

// seal ends the gzip stream, flushes the file to stable storage and gives
// it its final name.
func (s *segment) seal() error {
	if err := s.gz.Close(); err != nil {
		return fmt.Errorf("closing gzip stream of %s: %w", s.name, err)
	}
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", s.name, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", s.name, err)
	}
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", s.name, err)
	}
	if err := os.Rename(s.partPath(), s.sealedPath()); err != nil {
		return fmt.Errorf("sealing %s: %w", s.name, err)
	}
	return syncDir(s.dir)
}

// abandon closes the file as it is, torn or not, for salvage.
func (s *segment) abandon() { _ = s.f.Close() }

// syncDir flushes a directory's entries (a rename, a new file) to stable
// storage.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
