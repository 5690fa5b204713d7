module github.com/crmgraph/crmgraph/loader

go 1.26.0

require (
	github.com/cenkalti/backoff/v5 v5.0.3
	github.com/crmgraph/crmgraph/events v0.0.0-00010101000000-000000000000
	github.com/nats-io/nats.go v1.56.0
	github.com/neo4j/neo4j-go-driver/v5 v5.28.4
	github.com/prometheus/client_golang v1.25.0
)

replace github.com/crmgraph/crmgraph/events => ../events
