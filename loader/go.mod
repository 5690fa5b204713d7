module github.com/crmgraph/crmgraph/loader

go 1.26.0
