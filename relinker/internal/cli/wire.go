package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	neo4jconfig "github.com/neo4j/neo4j-go-driver/v5/neo4j/config"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/events/app"
	"github.com/crmgraph/crmgraph/relinker/internal/config"
	"github.com/crmgraph/crmgraph/relinker/mapping"
	"github.com/crmgraph/crmgraph/relinker/neo4jw"
	"github.com/crmgraph/crmgraph/relinker/park"
	"github.com/crmgraph/crmgraph/relinker/relink"
)

// connectTimeout bounds the wait for NATS setup and Neo4j at start.
const connectTimeout = 2 * time.Minute

// stage is everything a relinker command works with.
type stage struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	driver   neo4j.DriverWithContext
	writer   *neo4jw.Writer
	relinker *relink.Relinker
}

func (s *stage) close() {
	if s.driver != nil {
		_ = s.driver.Close(context.Background())
	}
	if s.nc != nil {
		s.nc.Close()
	}
}

// openNATS connects to NATS and makes the stream, consumers and buckets
// converge.
func openNATS(ctx context.Context, cfg *config.Config, name string) (
	*nats.Conn, jetstream.JetStream, error) {
	nc, js, err := events.Connect(cfg.NATSURL, name)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := events.Setup(ctx, js, events.StreamOptions{}); err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// openNeo4j creates the driver and waits until Neo4j answers.
func openNeo4j(ctx context.Context, cfg *config.Config, log *slog.Logger) (
	neo4j.DriverWithContext, error) {
	auth := neo4j.NoAuth()
	if cfg.Neo4jUser != "" {
		auth = neo4j.BasicAuth(cfg.Neo4jUser, cfg.Neo4jPassword, "")
	}
	d, err := neo4j.NewDriverWithContext(cfg.Neo4jURI, auth, func(c *neo4jconfig.Config) {
		c.MaxTransactionRetryTime = cfg.Neo4jRetryTime
	})
	if err != nil {
		return nil, fmt.Errorf("creating Neo4j driver for %s: %w",
			app.RedactURL(cfg.Neo4jURI), err)
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	for wait := time.Second; ; wait = min(2*wait, 15*time.Second) {
		err = d.VerifyConnectivity(ctx)
		if err == nil {
			return d, nil
		}
		log.Warn("neo4j not reachable, retrying", "uri", app.RedactURL(cfg.Neo4jURI),
			"error", err)
		select {
		case <-ctx.Done():
			_ = d.Close(context.Background())
			return nil, fmt.Errorf("connecting to Neo4j at %s: %w",
				app.RedactURL(cfg.Neo4jURI), err)
		case <-time.After(wait):
		}
	}
}

// open wires NATS, Neo4j and the relinker. The mapping file is read and
// checked against the defaults first, so a bad file stops the program at
// start.
func open(ctx context.Context, cfg *config.Config, log *slog.Logger,
	reg prometheus.Registerer) (*stage, error) {
	file, err := mapping.ReadFile(cfg.Mapping)
	if err != nil {
		return nil, err
	}
	labels, err := cfg.LabelOverrides()
	if err != nil {
		return nil, err
	}
	for module, label := range labels {
		if _, ok := file.Labels[module]; !ok {
			if file.Labels == nil {
				file.Labels = make(map[string]string)
			}
			file.Labels[module] = label
		}
	}
	if _, err := mapping.Build(mapping.Defaults(), nil, file); err != nil {
		return nil, fmt.Errorf("mapping file %s: %w", cfg.Mapping, err)
	}

	s := &stage{}
	if s.nc, s.js, err = openNATS(ctx, cfg, "crmgraph-relinker"); err != nil {
		return nil, err
	}
	if s.driver, err = openNeo4j(ctx, cfg, log); err != nil {
		s.close()
		return nil, err
	}
	s.writer, err = neo4jw.New(s.driver, neo4jw.Config{Database: cfg.Neo4jDatabase,
		BatchSize: cfg.BatchSize, Parallel: cfg.Parallel})
	if err != nil {
		s.close()
		return nil, err
	}
	parked, err := park.Open(ctx, s.js)
	if err != nil {
		s.close()
		return nil, err
	}
	var metrics *relink.Metrics
	if reg != nil {
		metrics = relink.NewMetrics(reg)
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "crmgraph_relinker_write_retries_total",
			Help: "Write transactions the Neo4j driver retried after a transient error.",
		}, func() float64 { return float64(s.writer.Retries()) }))
	}
	s.relinker, err = relink.New(relink.Config{Source: cfg.Source, ChunkSize: cfg.ChunkSize,
		Who: who(), File: file}, s.js, s.writer, parked, log, metrics)
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// who names this process in markers: host and pid.
func who() string {
	host, _ := os.Hostname()
	return "relinker@" + host + ":" + strconv.Itoa(os.Getpid())
}
