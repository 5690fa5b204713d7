module github.com/crmgraph/crmgraph/deploy

go 1.26.0
