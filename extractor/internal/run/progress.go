package run

import (
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/crmgraph/crmgraph/events"
)

// progress logs, every interval, each module still being read: records so
// far, rate and elapsed time; and one line per module when it is done.
type progress struct {
	log  *slog.Logger
	quit chan struct{}
	done chan struct{}

	mu   sync.Mutex // guards mods
	mods map[string]*modProgress
}

type modProgress struct {
	start   time.Time
	records int
}

func newProgress(log *slog.Logger, every time.Duration) *progress {
	p := &progress{log: log, quit: make(chan struct{}), done: make(chan struct{}),
		mods: map[string]*modProgress{}}
	go p.loop(every)
	return p
}

func (p *progress) loop(every time.Duration) {
	defer close(p.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
			p.report()
		}
	}
}

// report logs one line per module in progress.
func (p *progress) report() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, name := range slices.Sorted(maps.Keys(p.mods)) {
		m := p.mods[name]
		secs := time.Since(m.start).Seconds()
		p.log.Info("module progress", "module", name, "records", m.records,
			"rate", int(float64(m.records)/max(secs, 1e-3)), "seconds", round(secs))
	}
}

func (p *progress) begin(module string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mods[module] = &modProgress{start: time.Now()}
}

// add counts records read; a nil progress counts nothing.
func (p *progress) add(module string, n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if m := p.mods[module]; m != nil {
		m.records += n
	}
}

// end logs a module's summary and stops reporting it.
func (p *progress) end(module string, c events.ModuleCounts, took time.Duration) {
	p.mu.Lock()
	delete(p.mods, module)
	p.mu.Unlock()
	secs := took.Seconds()
	p.log.Info("module read", "module", module, "records", c.Fetched,
		"changed", c.Changed, "unchanged", c.Unchanged,
		"rate", int(float64(c.Fetched)/max(secs, 1e-3)), "seconds", round(secs))
}

func (p *progress) stop() {
	close(p.quit)
	<-p.done
}
