package archive

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// recoverModule makes a module directory consistent after any stop:
// files left open by a crash are salvaged into sealed files, and the
// highest sequence in the module's files is returned (0 when none).
func recoverModule(dir, module string) (last uint64, salvaged int, err error) {
	parts, sealed, err := listFiles(dir, module)
	if err != nil {
		return 0, 0, err
	}
	for _, p := range parts {
		if _, err := salvage(p); err != nil {
			return 0, 0, err
		}
		salvaged++
	}
	if salvaged > 0 {
		if _, sealed, err = listFiles(dir, module); err != nil {
			return 0, 0, err
		}
	}
	if len(sealed) == 0 {
		return 0, salvaged, nil
	}
	last, err = lastSeq(sealed[len(sealed)-1])
	return last, salvaged, err
}

// listFiles returns a module's open and sealed files, each in stream
// order, and removes the temporary files of an interrupted salvage.
func listFiles(dir, module string) (parts, sealed []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("listing archive of %s: %w", module, err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, module+"-") {
			continue
		}
		path := filepath.Join(dir, name)
		switch {
		case strings.HasSuffix(name, PartExt):
			parts = append(parts, path)
		case strings.HasSuffix(name, SealedExt):
			sealed = append(sealed, path)
		case strings.HasSuffix(name, SealedExt+".tmp"):
			if err := os.Remove(path); err != nil {
				return nil, nil, fmt.Errorf("removing %s: %w", path, err)
			}
		}
	}
	slices.Sort(parts)
	slices.Sort(sealed)
	return parts, sealed, nil
}

// salvage turns a file left open into a sealed file holding its complete
// lines: everything up to a tail torn by a crash. A file without one
// complete line is removed. It returns the last sequence salvaged (0 when
// none).
func salvage(part string) (uint64, error) {
	in, err := os.Open(part)
	if err != nil {
		return 0, fmt.Errorf("opening %s for salvage: %w", part, err)
	}
	defer in.Close()
	final := strings.TrimSuffix(part, ".part")
	tmp := final + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return 0, fmt.Errorf("creating %s: %w", tmp, err)
	}
	defer out.Close()

	bw := bufio.NewWriterSize(out, 256<<10)
	gz := gzip.NewWriter(bw)
	var last uint64
	var writeErr error
	// A torn tail ends the scan with an error; what came before is whole.
	_ = scanLines(in, func(b []byte) error {
		seq, err := seqOfLine(b)
		if err != nil {
			return err // not a line of ours: keep what came before it
		}
		if _, err := gz.Write(append(b, '\n')); err != nil {
			writeErr = err
			return err
		}
		last = seq
		return nil
	})
	if writeErr == nil {
		writeErr = gz.Close()
	}
	if writeErr == nil {
		writeErr = bw.Flush()
	}
	if writeErr == nil {
		writeErr = out.Sync()
	}
	if writeErr != nil {
		return 0, fmt.Errorf("salvaging %s: %w", part, writeErr)
	}
	if last == 0 {
		return 0, removeAll(tmp, part)
	}
	if err := os.Rename(tmp, final); err != nil {
		return 0, fmt.Errorf("salvaging %s: %w", part, err)
	}
	if err := os.Remove(part); err != nil {
		return 0, fmt.Errorf("removing salvaged %s: %w", part, err)
	}
	return last, syncDir(filepath.Dir(part))
}

func removeAll(paths ...string) error {
	for _, p := range paths {
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("removing %s: %w", p, err)
		}
	}
	return nil
}

// lastSeq returns the sequence of the last line of a sealed file.
func lastSeq(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	var last []byte
	err = scanLines(f, func(b []byte) error {
		last = append(last[:0], b...)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w: %w", path, ErrCorrupt, err)
	}
	if last == nil {
		return 0, nil
	}
	seq, err := seqOfLine(last)
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", path, err)
	}
	return seq, nil
}

// seqOfLine reads the sequence of one line.
func seqOfLine(b []byte) (uint64, error) {
	var l struct {
		Seq uint64 `json:"seq"`
	}
	if err := json.Unmarshal(b, &l); err != nil || l.Seq == 0 {
		return 0, fmt.Errorf("line without a sequence: %w", ErrCorrupt)
	}
	return l.Seq, nil
}
