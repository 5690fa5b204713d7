package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/pprof"
	"slices"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/app"
	"github.com/crmgraph/crmgraph/relinker/consume"
	"github.com/crmgraph/crmgraph/relinker/internal/config"
	"github.com/crmgraph/crmgraph/relinker/park"
	"github.com/crmgraph/crmgraph/relinker/relink"
)

// run handles loaded markers until ctx ends, serving /metrics, health and
// the Go profiler under /debug/pprof/.
func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	reg := app.NewRegistry()
	s, err := open(ctx, cfg, log, reg)
	if err != nil {
		return err
	}
	defer s.close()
	subConn, _, err := events.Connect(cfg.NATSURL, "crmgraph-relinker-markers")
	if err != nil {
		return err
	}
	defer subConn.Close()

	health := func(ctx context.Context) error {
		if st := s.nc.Status(); st != nats.CONNECTED {
			return fmt.Errorf("nats connection is %s", st)
		}
		return s.driver.VerifyConnectivity(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	mux := app.Mux(reg, health)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	var wg sync.WaitGroup
	var httpErr error
	wg.Go(func() {
		if httpErr = app.Serve(ctx, cfg.HTTPAddr, mux, log); httpErr != nil {
			cancel()
		}
	})

	consumer := events.RelinkerConsumerConfig()
	consumer.AckWait = cfg.AckWait
	log.Info("relinker started", "nats", app.RedactURL(cfg.NATSURL),
		"neo4j", app.RedactURL(cfg.Neo4jURI), "batch_size", cfg.BatchSize,
		"parallel", cfg.Parallel, "ack_wait", cfg.AckWait.String())
	err = consume.Run(ctx, consume.Config{
		Conn: subConn, JS: s.js, Consumer: consumer, MaxRunTime: cfg.MaxRunTime,
		Retries: cfg.Retries, RetryInterval: cfg.RetryInterval, NakDelay: cfg.NakDelay,
		Permanent: func(err error) bool { return errors.Is(err, relink.ErrPermanent) },
		Log:       log,
	}, func(ctx context.Context, m *events.Marker) error {
		_, err := s.relinker.HandleMarker(ctx, m)
		return err
	})
	cancel()
	wg.Wait()
	log.Info("relinker stopped")
	return errors.Join(err, httpErr)
}

// relinkAll rebuilds every relationship of the source and prints the
// counts as JSON.
func relinkAll(ctx context.Context, cfg *config.Config, log *slog.Logger, out io.Writer) error {
	s, err := open(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer s.close()
	counts, err := s.relinker.RelinkAll(ctx)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(counts)
}

// listParked prints the parked relationships of the source, sorted by key.
func listParked(ctx context.Context, cfg *config.Config, log *slog.Logger, out io.Writer,
	jsonOut bool) error {
	nc, js, err := openNATS(ctx, cfg, "crmgraph-relinker-parked")
	if err != nil {
		return err
	}
	defer nc.Close()
	store, err := park.Open(ctx, js)
	if err != nil {
		return err
	}
	entries, err := store.All(ctx, cfg.Source)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	enc := json.NewEncoder(out)
	for _, k := range keys {
		e := entries[k]
		if jsonOut {
			if err := enc.Encode(e); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(out, "%s\t-[:%s]->\t%s %s\tsince %s\trun %s\n", k, e.Type, e.ToModule,
			e.ToID, e.Since.Format("2006-01-02T15:04:05Z"), e.Run)
	}
	log.Info("parked relationships listed", "source", cfg.Source, "parked", len(entries))
	return nil
}
