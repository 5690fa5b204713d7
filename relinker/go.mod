module github.com/crmgraph/crmgraph/relinker

go 1.26.0
