// Package graph is crmgraph's graph model, shared by every Neo4j sink: the
// label of each module, the bookkeeping properties, the mapping from a
// record body to node properties, and the validation and quoting of every
// name that ends up in Cypher text.
//
// Labels and relationship types are the only names written into query
// text; they are validated against a strict pattern and backtick-quoted.
// Property keys travel inside parameter maps and never change a query.
package graph
