package archive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/sink"
)

// Archive writes record events into per-module compressed JSON Lines
// files under one directory. Its Write is a sink.HandlerFunc.
type Archive struct {
	cfg    Config
	log    *slog.Logger
	m      *metrics
	unlock func()

	mu      sync.Mutex
	enc     *encoder           // guarded by mu
	modules map[string]*module // by source/module; guarded by mu
	closed  bool               // guarded by mu
}

// module is the archive of one module of one source.
type module struct {
	source, name, dir string
	last              uint64   // highest sequence in the module's files
	seg               *segment // open file, or nil
	broken            error    // set when the open file could not be saved
}

// Open takes the directory for this process, repairs what a crash left
// in it and learns the highest sequence archived per module. reg receives
// the archive's metrics; nil keeps them private.
func Open(cfg Config, log *slog.Logger, reg prometheus.Registerer) (*Archive, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating archive directory: %w", err)
	}
	unlock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	a := &Archive{cfg: cfg, log: log, m: newMetrics(reg), unlock: unlock, enc: newEncoder(),
		modules: map[string]*module{}}
	if err := a.recover(); err != nil {
		unlock()
		return nil, err
	}
	return a, nil
}

// recover visits <dir>/<source>/<module>/ and recovers every module.
func (a *Archive) recover() error {
	sources, err := os.ReadDir(a.cfg.Dir)
	if err != nil {
		return fmt.Errorf("listing archive directory: %w", err)
	}
	for _, s := range sources {
		if !s.IsDir() || !events.ValidToken(s.Name()) {
			continue
		}
		mods, err := os.ReadDir(filepath.Join(a.cfg.Dir, s.Name()))
		if err != nil {
			return fmt.Errorf("listing archive of source %s: %w", s.Name(), err)
		}
		for _, md := range mods {
			if !md.IsDir() || !events.ValidToken(md.Name()) {
				continue
			}
			dir := filepath.Join(a.cfg.Dir, s.Name(), md.Name())
			last, salvaged, err := recoverModule(dir, md.Name())
			if err != nil {
				return err
			}
			if salvaged > 0 {
				a.log.Info("archive salvaged files left open", "source", s.Name(),
					"module", md.Name(), "files", salvaged, "last_seq", last)
			}
			a.modules[s.Name()+"/"+md.Name()] = &module{source: s.Name(), name: md.Name(),
				dir: dir, last: last}
			a.m.lastSeq.WithLabelValues(s.Name(), md.Name()).Set(float64(last))
		}
	}
	return nil
}

// Empty reports whether the archive holds no record yet.
func (a *Archive) Empty() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range a.modules {
		if m.last > 0 {
			return false
		}
	}
	return true
}

// LastSeq returns the highest sequence archived for a module (0 if none).
func (a *Archive) LastSeq(source, module string) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if m := a.modules[source+"/"+module]; m != nil {
		return m.last
	}
	return 0
}

// Write appends r to its module's open file, unless the module's files
// already hold r's sequence or a later one: records arrive in stream
// order, so such a record is a redelivery of one already written, and it
// is skipped. It returns once the line has reached the file. A record
// that cannot be encoded is a permanent error (dead letter); a failed
// write is retried by the sink.
func (a *Archive) Write(_ context.Context, r sink.Record) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return ErrClosed
	}
	m, err := a.module(r.Key)
	if err != nil {
		return err
	}
	if m.broken != nil {
		return m.broken
	}
	if r.Seq <= m.last {
		a.m.skipped.WithLabelValues(m.name).Inc()
		return nil
	}
	line, err := a.enc.encode(r)
	if err != nil {
		return sink.Permanent(err)
	}

	if m.seg == nil {
		m.seg, err = createSegment(m.dir, m.name, r.Seq, m.last, a.cfg.Sync)
		if err != nil {
			a.m.errors.Inc()
			return fmt.Errorf("archiving seq %d of %s: %w", r.Seq, m.name, err)
		}
	}
	before := m.seg.size()
	if err := m.seg.append(line); err != nil {
		a.m.errors.Inc()
		a.fail(m, err)
		return fmt.Errorf("archiving seq %d of %s: %w", r.Seq, m.name, err)
	}
	m.last = r.Seq
	a.m.records.WithLabelValues(m.name, string(r.Op)).Inc()
	a.m.bytes.Add(float64(m.seg.size() - before))
	a.m.lastSeq.WithLabelValues(m.source, m.name).Set(float64(r.Seq))

	if m.seg.records >= a.cfg.MaxFileRecords || m.seg.size() >= a.cfg.MaxFileBytes {
		return a.seal(m)
	}
	return nil
}

// module returns the archive of a record's module, creating its
// directory the first time.
func (a *Archive) module(k events.RecordKey) (*module, error) {
	key := k.Source + "/" + k.Module
	if m := a.modules[key]; m != nil {
		return m, nil
	}
	dir := filepath.Join(a.cfg.Dir, k.Source, k.Module)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating archive of %s: %w", key, err)
	}
	m := &module{source: k.Source, name: k.Module, dir: dir}
	a.modules[key] = m
	return m, nil
}

// seal seals a module's open file. A file that cannot be sealed is
// salvaged like one left by a crash.
func (a *Archive) seal(m *module) error {
	seg := m.seg
	if err := seg.seal(); err != nil {
		a.m.errors.Inc()
		a.fail(m, err)
		return fmt.Errorf("sealing archive of %s: %w", m.name, err)
	}
	m.seg = nil
	a.m.sealed.Inc()
	a.log.Debug("archive file sealed", "module", m.name, "records", seg.records,
		"bytes", seg.size(), "seconds", time.Since(seg.opened).Seconds())
	return nil
}

// fail handles an open file that could not be written or sealed: it is
// closed as it is and salvaged, and the module's last sequence becomes
// whatever the file really holds, so the record is written again when the
// sink retries it. If the salvage fails too, the module stops taking
// records until a restart recovers it.
func (a *Archive) fail(m *module, cause error) {
	seg := m.seg
	m.seg = nil
	seg.abandon()
	if _, err := os.Stat(seg.partPath()); errors.Is(err, os.ErrNotExist) {
		return // sealed after all: only the directory sync failed
	}
	last, err := salvage(seg.partPath())
	if err != nil {
		m.broken = fmt.Errorf("archive of %s after %w: %w: %w", m.name, cause, ErrBroken, err)
		a.log.Error("archive module broken until restart", "module", m.name, "err", m.broken)
		return
	}
	m.last = max(seg.base, last)
	a.log.Warn("archive file salvaged after a write error", "module", m.name,
		"last_seq", m.last, "err", cause)
}

// SealIdle seals the files opened MaxFileAge or longer before now.
func (a *Archive) SealIdle(now time.Time) error {
	if a.cfg.MaxFileAge < 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	for _, m := range a.modules {
		if m.seg != nil && now.Sub(m.seg.opened) >= a.cfg.MaxFileAge {
			errs = append(errs, a.seal(m))
		}
	}
	return errors.Join(errs...)
}

// Health reports a module that stopped taking records, or nil.
func (a *Archive) Health() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range a.modules {
		if m.broken != nil {
			return m.broken
		}
	}
	return nil
}

// Close seals every open file and releases the directory. The archive
// takes no record after it.
func (a *Archive) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	var errs []error
	for _, m := range a.modules {
		if m.seg != nil {
			errs = append(errs, a.seal(m))
		}
	}
	a.unlock()
	return errors.Join(errs...)
}
