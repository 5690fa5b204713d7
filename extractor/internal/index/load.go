package index

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// pullBatch is how many headers the ordered consumer asks for at a time.
const pullBatch = 4096

// Snapshot is every record of a source as the stream held it when Load
// ran. It is read-only after Load, so safe for concurrent use.
type Snapshot struct {
	modules map[string]map[string]Entry
	n       int
	prefix  string // crm.rec.<source>., cut off every subject
}

// Load reads the latest event of every record of source: a headers-only,
// ordered consumer on crm.rec.<source>.> delivering the last message per
// subject.
func Load(ctx context.Context, js jetstream.JetStream, source string) (*Snapshot, error) {
	filter, err := events.SourceRecords(source)
	if err != nil {
		return nil, err
	}
	return load(ctx, js, source, filter)
}

// LoadModule is Load for the records of one module.
func LoadModule(ctx context.Context, js jetstream.JetStream,
	source, module string) (*Snapshot, error) {
	filter, err := events.ModuleRecords(source, module)
	if err != nil {
		return nil, err
	}
	return load(ctx, js, source, filter)
}

func load(ctx context.Context, js jetstream.JetStream, source, filter string) (*Snapshot, error) {
	cons, err := js.OrderedConsumer(ctx, events.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter},
		DeliverPolicy:  jetstream.DeliverLastPerSubjectPolicy,
		HeadersOnly:    true,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the index consumer on %s: %w", filter, err)
	}
	info := cons.CachedInfo()
	defer func() {
		// The consumer is ephemeral and would expire anyway; deleting it
		// keeps the consumer list short. A failure here changes nothing.
		_ = js.DeleteConsumer(context.WithoutCancel(ctx), events.StreamName, info.Name)
	}()
	s := &Snapshot{modules: map[string]map[string]Entry{}, prefix: "crm.rec." + source + "."}
	if info.NumPending == 0 {
		return s, nil
	}
	if err := s.consume(ctx, cons); err != nil {
		return nil, fmt.Errorf("reading the index of %s: %w", filter, err)
	}
	return s, nil
}

// consume adds every delivered header to s until the consumer has nothing
// pending.
func (s *Snapshot) consume(ctx context.Context, cons jetstream.Consumer) error {
	done := make(chan error, 1)
	var once sync.Once
	finish := func(err error) { once.Do(func() { done <- err }) }
	cc, err := cons.Consume(func(m jetstream.Msg) {
		if err := s.add(m); err != nil {
			finish(err)
			return
		}
		if md, err := m.Metadata(); err == nil && md.NumPending == 0 {
			finish(nil)
		}
	}, jetstream.PullMaxMessages(pullBatch), jetstream.ConsumeErrHandler(
		func(_ jetstream.ConsumeContext, err error) { finish(err) }))
	if err != nil {
		return err
	}
	defer cc.Stop()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// add records one delivered header. The subject was checked when it was
// published; here it is only cut into its module and id.
func (s *Snapshot) add(m jetstream.Msg) error {
	subject := m.Subject()
	module, id, ok := strings.Cut(strings.TrimPrefix(subject, s.prefix), ".")
	if !ok || id == "" || strings.Contains(id, ".") {
		return fmt.Errorf("subject %q: %w", subject, events.ErrNotRecordSubject)
	}
	e := entryOf(m.Headers())
	mod := s.modules[module]
	if mod == nil {
		mod = map[string]Entry{}
		s.modules[module] = mod
	}
	if _, ok := mod[id]; !ok {
		s.n++
	}
	mod[id] = e
	return nil
}

// Get returns the latest event of a record.
func (s *Snapshot) Get(_ context.Context, module, id string) (Entry, bool, error) {
	e, ok := s.modules[module][id]
	return e, ok, nil
}

// Len reports how many records the snapshot holds, tombstones included.
func (s *Snapshot) Len() int { return s.n }

// Live returns the ids of a module's records whose latest event is not a
// tombstone.
func (s *Snapshot) Live(module string) []string {
	var ids []string
	for id, e := range s.modules[module] {
		if !e.Deleted {
			ids = append(ids, id)
		}
	}
	return ids
}

// LiveCount reports how many records of a module the stream holds alive.
func (s *Snapshot) LiveCount(module string) int {
	n := 0
	for _, e := range s.modules[module] {
		if !e.Deleted {
			n++
		}
	}
	return n
}

// Quantiles returns n-1 times that split the Modified_Time of a module's
// live records into n slices of about equal size, fewer when many records
// share a time, none when the stream knows no times.
func (s *Snapshot) Quantiles(module string, n int) []time.Time {
	var times []int64
	for _, e := range s.modules[module] {
		if !e.Deleted && e.Modified != 0 {
			times = append(times, e.Modified)
		}
	}
	if len(times) == 0 || n < 2 {
		return nil
	}
	slices.Sort(times)
	var cuts []time.Time
	for k := 1; k < n; k++ {
		t := times[k*len(times)/n]
		if len(cuts) == 0 || t > cuts[len(cuts)-1].Unix() {
			cuts = append(cuts, time.Unix(t, 0).UTC())
		}
	}
	return cuts
}
