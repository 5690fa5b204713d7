// Command extractor turns a Zoho CRM organisation into record events and
// run markers on the CRM stream.
//
//	extractor run --mode full|incremental   run once, exit 0 when extracted
//	extractor serve                         schedule, HTTP trigger, metrics
package main

import (
	"context"
	"os"

	"github.com/crmgraph/crmgraph/extractor/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stderr))
}
