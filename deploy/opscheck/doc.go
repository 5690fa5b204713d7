// Package opscheck holds the tests of crmgraph's deployment files: the
// Dockerfiles and .dockerignore, docker-compose.yml and .env.example, the
// Kubernetes manifests, the NATS cluster configuration, the Grafana
// dashboard and Prometheus configuration, and the scheduler recipes under
// deploy/ops.
//
// No container engine runs where these tests run, so no image is built and
// no container started. The files are parsed instead, with the parsers the
// real tools use where one exists as a Go library (compose-go for Compose,
// the Kubernetes API types decoded strictly, nats-server's configuration
// reader), and cross-checked against the stages' real settings: each stage
// binary is built and its -h output read, since every setting bound
// through events/app.Settings prints "(env NAME)", and the os.Getenv
// literals of the packages it is built from are added.
//
// What can run without containers does run: the three NATS configuration
// files form a real three-server JetStream cluster; the crontab line and
// the trigger script are executed against an HTTP server; and
// TestMetricsMoveDuringSync runs the three stage binaries as processes on
// real NATS, the real Neo4j and the Zoho simulator, and scrapes their
// /metrics during a sync.
package opscheck
