// Package zoho is a client for the parts of the Zoho CRM v8 REST API that the
// extractor reads: modules, fields, records, deleted records, users and
// COQL queries of Modified_Time.
//
// It speaks to the real API and to the simulator alike. Authentication is the
// OAuth refresh-token flow of the organisation's data centre (golang.org/x/oauth2);
// the access token is cached and refreshed shortly before it expires, and once
// more when a call answers INVALID_TOKEN or AUTHENTICATION_FAILURE. The API base
// is the api_domain of the token response unless the configuration names one.
//
// Every call holds a slot of a concurrency limit (by default the edition's) and
// is retried with exponential backoff and jitter on 429 and 5xx, within a total
// time budget. Records are paged with page_token and requested in groups of at
// most 50 fields, merged by id, so that every field of every record arrives.
// Past the 100,000 records one page_token chain reaches, a read goes on with a
// new chain from the last Modified_Time read (keyset.go). ModifiedTimes reads
// a module's times by COQL, so that callers can cut it into slices.
//
// The client never logs. It reports calls and retries through Hooks, and it
// keeps credentials out of every error it returns.
package zoho
