// Command relinker turns the lookup fields of crmgraph's record events into
// Neo4j relationships once each run's nodes are in the graph, and keeps
// them true. See the README for its subcommands and settings.
package main

import (
	"context"
	"os"

	"github.com/crmgraph/crmgraph/relinker/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
