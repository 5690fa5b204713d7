package archive

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/sink"
)

// Line is one record event in an archive file: one JSON object a line.
type Line struct {
	// Seq is the event's stream sequence.
	Seq uint64 `json:"seq"`
	// Subject is crm.rec.<source>.<module>.<id>.
	Subject string `json:"subject"`
	// Op is upsert or delete.
	Op events.Op `json:"op"`
	// Run is the extractor run that published the event.
	Run string `json:"run"`
	// Modified is Zoho's Modified_Time (or deletion time), when known.
	Modified time.Time `json:"modified,omitzero"`
	// Hash is the canonical hash of Record.
	Hash string `json:"hash"`
	// Stored is when the stream stored the event.
	Stored time.Time `json:"stored,omitzero"`
	// Record is the record exactly as Zoho returned it (for a delete, the
	// tombstone's small object).
	Record json.RawMessage `json:"record"`
}

// encoder writes lines into a reusable buffer.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newEncoder() *encoder {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false) // keep the record's text as Zoho sent it
	return e
}

// encode returns the line of r, newline included, valid until the next
// call.
func (e *encoder) encode(r sink.Record) ([]byte, error) {
	subject, err := r.Key.Subject()
	if err != nil {
		return nil, err
	}
	e.buf.Reset()
	err = e.enc.Encode(Line{
		Seq:      r.Seq,
		Subject:  subject,
		Op:       r.Op,
		Run:      r.Run,
		Modified: r.Modified.UTC(),
		Hash:     r.Hash,
		Stored:   r.Stored.UTC(),
		Record:   r.Body,
	})
	if err != nil {
		return nil, fmt.Errorf("encoding record %s at seq %d: %w", r.Key, r.Seq, err)
	}
	return e.buf.Bytes(), nil
}

// ReadFile calls fn with every line of the archive file at path, in
// order. A file still being written, or torn by a crash, ends with an
// error wrapping io.ErrUnexpectedEOF after its complete lines.
func ReadFile(path string, fn func(Line) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening archive file: %w", err)
	}
	defer f.Close()
	err = scanLines(f, func(b []byte) error {
		var l Line
		if err := json.Unmarshal(b, &l); err != nil {
			return fmt.Errorf("decoding line: %w: %w", ErrCorrupt, err)
		}
		return fn(l)
	})
	if err != nil {
		return fmt.Errorf("reading archive file %s: %w", path, err)
	}
	return nil
}

// scanLines reads a gzip stream (one or more members) and calls fn with
// each complete line, without its newline. It returns nil at a clean end
// of the stream, and otherwise the error that stopped it: a torn tail
// gives io.ErrUnexpectedEOF (or a gzip error) after every complete line,
// and a partial last line is never passed to fn.
func scanLines(r io.Reader, fn func([]byte) error) error {
	zr, err := gzip.NewReader(bufio.NewReader(r))
	if errors.Is(err, io.EOF) {
		return nil // an empty file
	}
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(zr, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		switch {
		case err == nil:
			if err := fn(line[:len(line)-1]); err != nil {
				return err
			}
		case errors.Is(err, io.EOF) && len(line) == 0:
			return nil
		case errors.Is(err, io.EOF):
			return io.ErrUnexpectedEOF
		default:
			return err
		}
	}
}
