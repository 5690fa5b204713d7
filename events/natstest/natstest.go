// Package natstest starts a real, embedded NATS server with JetStream for
// tests: a random port on 127.0.0.1, a temporary store, shut down when the
// test ends.
package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// Server is an embedded JetStream server and a client connected to it.
type Server struct {
	// URL is the client URL, for stages started as separate processes.
	URL string
	// Server is the embedded server itself.
	Server *server.Server
	// Conn and JS are a client connection and its JetStream context.
	Conn *nats.Conn
	JS   jetstream.JetStream
}

// Start starts an embedded JetStream server whose store lives in a
// temporary directory, and connects to it. Everything is torn down by
// t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartIn(t, t.TempDir())
}

// StartIn is Start with a store directory the caller chose, so that a test
// can stop a server and start another on the same data.
func StartIn(t testing.TB, storeDir string) *Server {
	t.Helper()
	opts := &server.Options{
		ServerName: "crmgraph-test",
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		JetStream:  true,
		StoreDir:   storeDir,
		NoLog:      true,
		NoSigs:     true,
		// A test's records fit in far less; the cap keeps a runaway test
		// from filling the disk.
		JetStreamMaxStore: 8 << 30,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("creating embedded NATS server: %v", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		t.Fatalf("embedded NATS server not ready after 10s")
	}
	nc, js, err := events.Connect(ns.ClientURL(), t.Name())
	if err != nil {
		ns.Shutdown()
		t.Fatalf("connecting to embedded NATS server: %v", err)
	}
	s := &Server{URL: ns.ClientURL(), Server: ns, Conn: nc, JS: js}
	t.Cleanup(s.Stop)
	return s
}

// Stop closes the client and shuts the server down. It is safe to call
// more than once.
func (s *Server) Stop() {
	s.Conn.Close()
	s.Server.Shutdown()
	s.Server.WaitForShutdown()
}

// Setup creates the CRM stream, the stage consumers and the buckets, and
// fails the test if that does not work.
func (s *Server) Setup(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := events.Setup(ctx, s.JS, events.StreamOptions{}); err != nil {
		t.Fatalf("setting up the CRM stream: %v", err)
	}
}
