// Package app is the process plumbing every crmgraph stage binary shares:
// settings from flags and CRMGRAPH_* environment variables, the slog
// logger, a context that ends on SIGTERM, and the HTTP server for
// /metrics and health. It holds no pipeline logic.
package app
