package opscheck

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/crmgraph/crmgraph/events"
)

// clusterNodes are the servers of the compose cluster profile.
var clusterNodes = []string{"nats-1", "nats-2", "nats-3"}

// loadNATSConfig reads deploy/nats/<node>.conf with nats-server's own
// configuration reader, as "nats-server -c" does.
func loadNATSConfig(t *testing.T, node string) *server.Options {
	t.Helper()
	opts, err := server.ProcessConfigFile(repoPath(t, "deploy/nats/"+node+".conf"))
	if err != nil {
		t.Fatalf("deploy/nats/%s.conf: %v", node, err)
	}
	return opts
}

// TestNATSClusterConfig checks the three configuration files: unique
// server names, JetStream with its store on the mounted volume, the
// monitoring port the health check asks, one cluster name, and routes to
// all three servers by their compose service names.
func TestNATSClusterConfig(t *testing.T) {
	for _, node := range clusterNodes {
		t.Run(node, func(t *testing.T) {
			o := loadNATSConfig(t, node)
			if o.ServerName != node {
				t.Errorf("server_name %q, want %q", o.ServerName, node)
			}
			if !o.JetStream || o.StoreDir != "/data" {
				t.Errorf("jetstream %v store_dir %q, want enabled on /data", o.JetStream,
					o.StoreDir)
			}
			if o.Port != 4222 || o.HTTPPort != 8222 || o.Cluster.Port != 6222 {
				t.Errorf("ports client %d http %d cluster %d, want 4222, 8222, 6222", o.Port,
					o.HTTPPort, o.Cluster.Port)
			}
			if o.Cluster.Name != "crmgraph" {
				t.Errorf("cluster name %q, want crmgraph", o.Cluster.Name)
			}
			var hosts []string
			for _, r := range o.Routes {
				hosts = append(hosts, r.Host)
			}
			slices.Sort(hosts)
			want := []string{"nats-1:6222", "nats-2:6222", "nats-3:6222"}
			if !slices.Equal(hosts, want) {
				t.Errorf("routes %v, want %v", hosts, want)
			}
		})
	}
}

// TestNATSClusterForms starts three real nats-server instances from the
// three configuration files (addresses moved to 127.0.0.1 and free ports,
// store to a temporary directory, nothing else changed) and checks that
// they form a JetStream cluster on which events.Setup, given replicas 3
// as the cluster profile gives the stages, places the CRM stream on all
// three servers.
func TestNATSClusterForms(t *testing.T) {
	ports := freePorts(t, 3)
	var routes []*url.URL
	for _, p := range ports {
		routes = append(routes, &url.URL{Scheme: "nats-route",
			Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	var servers []*server.Server
	for i, node := range clusterNodes {
		o := loadNATSConfig(t, node)
		o.Host, o.Port, o.HTTPPort = "127.0.0.1", server.RANDOM_PORT, 0
		o.Cluster.Host, o.Cluster.Port = "127.0.0.1", ports[i]
		o.Routes = routes
		o.StoreDir = t.TempDir()
		o.NoLog, o.NoSigs = true, true
		s, err := server.NewServer(o)
		if err != nil {
			t.Fatalf("%s: %v", node, err)
		}
		s.Start()
		t.Cleanup(s.Shutdown)
		servers = append(servers, s)
	}
	for _, s := range servers {
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatalf("%s not ready", s.Name())
		}
	}

	nc, js, err := events.Connect(servers[0].ClientURL(), "opscheck")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	// A request made before the servers have elected a meta leader goes
	// unanswered, so each attempt gets its own short deadline.
	deadline := time.Now().Add(60 * time.Second)
	for {
		actx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = events.Setup(actx, js, events.StreamOptions{Replicas: 3})
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events.Setup with 3 replicas on the cluster: %v", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info := s.CachedInfo()
	if info.Config.Replicas != 3 || info.Cluster == nil {
		t.Fatalf("stream %s has %d replicas, want 3", events.StreamName, info.Config.Replicas)
	}
	placed := []string{info.Cluster.Leader}
	for _, p := range info.Cluster.Replicas {
		placed = append(placed, p.Name)
	}
	slices.Sort(placed)
	if !slices.Equal(placed, clusterNodes) {
		t.Errorf("stream replicas on %v, want %v", placed, clusterNodes)
	}
	// A stage started without a replica setting (the loader and relinker
	// have none) runs Setup with zero replicas; that must keep the stream
	// and the buckets at three, not shrink them.
	if err := events.Setup(ctx, js, events.StreamOptions{}); err != nil {
		t.Fatalf("events.Setup without replicas on the cluster: %v", err)
	}
	if s, err = js.Stream(ctx, events.StreamName); err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.Replicas; got != 3 {
		t.Errorf("after a setup without replicas the stream has %d replicas, want 3", got)
	}
	kv, err := js.KeyValue(ctx, events.BucketParked)
	if err != nil {
		t.Fatal(err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.(*jetstream.KeyValueBucketStatus).StreamInfo().Config.Replicas; got != 3 {
		t.Errorf("bucket %s has %d replicas after a setup without replicas, want 3",
			events.BucketParked, got)
	}
	if info.Cluster.Name != "crmgraph" {
		t.Errorf("cluster %q, want crmgraph", info.Cluster.Name)
	}
}

// freePorts returns n ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var out []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	return out
}
