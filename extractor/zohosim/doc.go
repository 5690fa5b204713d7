// Package zohosim simulates a Zoho CRM organisation behind the v8 REST API, for the
// extractor's tests, the end-to-end tests, the demo and the benchmarks. Code that
// passes against it should pass against Zoho: it reproduces the documented shapes,
// limits, errors, latency and rate limits (shared/zoho-api.md), and where the
// documentation is silent it makes the choices listed below under "Unverified".
//
// One address serves both the accounts server (POST /oauth/v2/token) and the API
// (/crm/v8/...); the token response's api_domain points back at it. Admin endpoints
// under /_sim/ (no OAuth) let tests change the data and inject faults at run time.
//
// # Using it
//
// In process, like httptest:
//
//	srv, err := zohosim.NewServer(zohosim.Config{})   // srv.URL, srv.Sim, srv.Close()
//	ch, err := srv.Sim.Mutate(zohosim.MutateSpec{Update: 0.01, Delete: 0.001})
//
// As a binary, from the repository root:
//
//	go run ./extractor/cmd/zohosim -addr 127.0.0.1:8089 [-seed 1] [-scale 1]
//
// It prints "READY http://127.0.0.1:8089" once it listens. The default credentials
// are client id "sim", client secret "sim" and refresh token "sim-refresh".
//
// # Go API
//
//   - New(Config) builds a Sim: it validates the configuration and indexes the
//     dataset (no record is stored; values are generated on demand).
//   - Sim.Handler serves everything; Sim.Listen(addr) and NewServer(Config) serve it
//     on a socket, returning a Server with URL, Sim, Shutdown(ctx) and Close().
//   - Sim.Mutate(MutateSpec) updates, creates and deletes a share of records and
//     returns Changes (ids per module; Changes.Modified(module) is what an
//     incremental sync must publish, Changes.Deleted what it must delete).
//   - Sim.Counts, Sim.EachRecord, Sim.EachRecordJSON, Sim.Record and Sim.EachLink are
//     the ground truth: record counts, relationship counts per field, every record
//     with every field, and every relationship value as a Link.
//   - Sim.Reset returns to the generated dataset; Sim.Modules lists the modules with
//     records.
//   - Sim.SetFaults, Sim.Faults and Sim.ExpireTokens inject failures; Sim.Stats
//     returns what was served (calls, 401s, 429s by cause, refreshes, credits left,
//     peak concurrency, records sent).
//
// # Dataset
//
// Records are generated from (Seed, module, index, update count): the same seed
// gives the same organisation. Only small per-record state is kept (Modified_Time,
// an update counter, a deleted flag, a (Modified_Time, id) index and overrides for
// relationships that mutations changed), about 15 bytes a record: scale 17 (998,597
// records) builds in about 0.2 s and holds about 15 MB. At scale 1 (the default):
//
//	module        records  relationship values (non-null)
//	Users              41  none (served by /users)
//	Accounts        7,000  Owner 7,000; Parent_Account 300
//	Contacts       16,000  Owner 16,000; Account_Name 4,000; Reporting_To 200
//	Leads          10,000  Owner 10,000
//	Deals           5,000  Owner 5,000; Account_Name 2,000; Contact_Name 800;
//	                       Campaign_Source 100
//	Campaigns         200  Owner 200; Parent_Campaign 20
//	Products          500  Owner 500
//	Tasks           7,000  Owner 7,000; What_Id 1,000; Who_Id 500
//	Calls           4,000  Owner 4,000; What_Id 400; Who_Id 300
//	Events          3,000  Owner 3,000; What_Id 300; Who_Id 200
//	Notes           2,000  Owner 2,000; Parent_Id 2,000
//	Projects__c     4,000  Owner 4,000; Account__c 2,900
//	Vendors, Cases      0  (api_supported but empty: Get Records answers 204)
//	total          58,741  58,700 Owner + 15,020 others = 73,720
//
// Scale multiplies every count, users included. Relationship fields are exactly the
// graph model's: every field of data_type "lookup" (standard and custom), Owner
// (ownerlookup, pointing at a user), What_Id with its "$se_module" sibling (Accounts,
// Deals, Leads, Products, Campaigns or Projects__c), Who_Id (Contacts) and Notes'
// Parent_Id ({name, id, module:{api_name, id}}). Created_By, Modified_By and
// Products' Handler are userlookup fields and not relationships. Every value points at
// a record that exists; self-references (Parent_Account, Reporting_To,
// Parent_Campaign) point at older records, so hierarchies have no cycles.
//
// Modules have 30 to 86 fields (Accounts 73, Contacts 86, Leads 57: more than 50, so
// they need two fields groups), with custom fields (*__c), picklists, multi-select
// picklists, dates, datetimes, currencies, decimals, integers, booleans, nulls,
// subforms (Accounts.Contracts__c, Deals.Contract_Lines__c, Products.Price_Tiers__c,
// Projects__c.Milestones__c), Events.Participants, Tag, Layout, Remind_At,
// Recurring_Activity, long texts with newlines, and names with accents, other
// scripts, quotes and a backslash. Ids are 19-digit strings, unique across modules.
// Created_Time increases with the id. Records were created between 2019-01-01 and
// 2025-01-01 and last modified before 2025-01-01; about 15% share their
// Modified_Time with other records (mass updates), which tests cursor tie-breaking.
// Each module's deleted-records feed starts with 0.5% of its size in entries whose ids
// never appear as records (three in ten "permanent"), as a real organisation's would.
//
// # Mutations
//
// Mutate works on shares of each module's live records, optionally restricted to
// some modules, all stamped with the clock's current second (Changes.At):
//
//   - update: four fields get new values, Modified_By changes, a quarter of the
//     updates reassign the Owner and 40% move one lookup to another live record.
//     Name fields never change, so the names inside other records' lookups stay true.
//   - create: new records with new (higher) ids and relationships in the generated
//     proportions, pointing at live records.
//   - delete: the records disappear and enter the deleted feed as "recycle". Any
//     relationship that pointed at them becomes null and its record's Modified_Time
//     moves (Changes.Unlinked, possibly in modules outside Modules), so the invariant
//     "every non-null relationship points at a live record" always holds.
//
// Config.Now sets the clock; it must not run before 2025-01-01.
//
// # API behaviour
//
//   - OAuth: refresh_token grant with parameters in the query string or a form body;
//     answers access_token, expires_in (Config.TokenTTL), api_domain, token_type
//     "Bearer" and scope. Bad refresh token: 200 {"error":"invalid_code"}; wrong
//     client id or secret: 200 {"error":"invalid_client"}; more than RefreshLimit (10)
//     tokens in RefreshWindow (10 min): 400 "Access Denied". A refresh token keeps
//     at most 30 live access tokens (the oldest is dropped).
//   - API calls need "Authorization: Zoho-oauthtoken <token>": a missing or
//     differently prefixed header answers 401 AUTHENTICATION_FAILURE, an unknown or
//     expired token 401 INVALID_TOKEN.
//   - GET settings/modules, settings/fields?module=X, users?type=...&page&per_page,
//     {module}, {module}/{id}, {module}/deleted; POST coql. Unknown paths answer 404
//     INVALID_URL_PATTERN, other methods 405 INVALID_REQUEST_METHOD, other API versions
//     400 API_NOT_SUPPORTED, unknown or unsupported modules 400 INVALID_MODULE.
//   - Get Records: fields required (REQUIRED_PARAM_MISSING) and at most 50
//     (LIMIT_EXCEEDED); per_page 1 to 200 (default 200); page only while
//     page x per_page <= 2,000 (DISCRETE_PAGINATION_LIMIT_EXCEEDED); page_token from
//     info.next_page_token up to 100,000 records (PAGINATION_LIMIT_EXCEEDED; lowered by
//     Config.PageTokenLimit for tests), expiring
//     after PageTokenTTL (EXPIRED_VALUE), bound to module, fields, per_page, sort,
//     If-Modified-Since, converted, approved and cvid (TOKEN_BOUND_DATA_MISMATCH);
//     page with page_token, or cvid with sort_by: AMBIGUITY_DURING_PROCESSING.
//     sort_by id|Created_Time|Modified_Time (default id), sort_order asc|desc
//     (default desc); If-Modified-Since keeps records modified strictly after it and
//     answers 304 with no body when none was; 204 with no body when a page is empty.
//     info has per_page, count, page, sort_by, sort_order, more_records,
//     next_page_token, previous_page_token and page_token_expiry.
//   - Deleted records: type all|recycle|permanent, page, per_page, If-Modified-Since
//     on deleted_time; newest first; 2 credits.
//   - COQL: select columns from Module where criteria [order by ...] [limit [offset,]
//     n | limit n offset m]. A where clause is required (SYNTAX_ERROR, details
//     {clause: "where"}); more than two criteria at one level must be bracketed in
//     pairs (SYNTAX_ERROR); unknown columns give INVALID_QUERY with column_name;
//     limit at most 2,000 and offset + limit at most 100,000 (LIMIT_EXCEEDED).
//     Comparators: = != <> < > <= >= between in "not in" like "is null" "is not null".
//     Credits by limit: 1 to 200 costs 1, to 1,000 costs 2, to 2,000 costs 3.
//     With Config.NoCOQLScope the token lacks ZohoCRM.coql.READ and COQL answers
//     401 OAUTH_SCOPE_MISMATCH.
//   - Limits: calls in flight are capped by edition (free 5, standard 10,
//     professional 15, enterprise 20, ultimate 25) and heavy calls (COQL, sort_by,
//     cvid) by 10; credits are counted over a rolling 24 h (1 a call, 2 for deleted
//     records, COQL by limit; only successful answers are charged) against
//     CreditsPerDay, by default the edition's allowance for the users (enterprise:
//     50,000 + 1,000 x 41). Both answer 429 TOO_MANY_REQUESTS without Retry-After.
//     X-API-CREDITS-REMAINING appears once half the budget is used.
//   - Latency: profile "instant" (no delay) or "zoho" (uniform 200 to 400 ms, from a
//     generator seeded by Seed), or any Latency range; the delay is spent holding a
//     concurrency slot, as a slow server would.
//   - Faults (Config.Faults, SetFaults, PUT /_sim/faults, binary flags): a share of
//     500 INTERNAL_ERROR, a share of 429s, one truncated 200 page (the Nth Get Records
//     call of a module), every access token expiring after N calls (or now, with
//     ExpireTokens), page tokens that expire after N uses or a short lifetime.
//
// # Admin API (no OAuth)
//
//	GET  /_sim/counts             Counts
//	GET  /_sim/stats              Stats
//	POST /_sim/mutate             MutateSpec in, Changes out
//	POST /_sim/reset              back to the generated dataset
//	GET  /_sim/faults, PUT /_sim/faults    Faults, page_token_ttl as "30s"
//	POST /_sim/tokens/expire      every access token stops working
//	GET  /_sim/records/{module}   every live record, one JSON object per line
//	GET  /_sim/links              every relationship value, one Link per line
//
// # Unverified: choices where the documentation is silent or disagrees
//
//   - Get Records returns the requested fields, id, and the record-level "$" keys
//     ($approval, $approved, $editable, $state, $currency_symbol, ...) on every
//     record whatever fields asks for; "$se_module" comes with What_Id. Fields come in
//     the module's field order. An unknown name in fields is a 400 INVALID_DATA.
//   - page is refused when page x per_page > 2,000; page tokens are keyset cursors
//     (a record changed while paging moves in the order but is neither skipped nor
//     repeated by position), last 24 h, and are not tied to a user. A token the
//     simulator did not issue is 400 INVALID_DATA. previous_page_token is given from
//     the second page of a token walk on.
//   - A page is bound to the exact fields string, so reordering fields changes the
//     binding.
//   - A Get Records call with ids returns the live records among them (204 if none);
//     a single record that does not exist answers 204. converted and approved are
//     validated but every record is unconverted and approved.
//   - Deleted records accept If-Modified-Since on deleted_time and answer 304 when
//     nothing was deleted since, like Get Records; the feed is never purged after 60
//     days; permanent entries have the same shape as recycle ones.
//   - Users: If-Modified-Since answers 304 when no user changed; types AllUsers,
//     ActiveUsers, DeactiveUsers, ConfirmedUsers, NotConfirmedUsers, DeletedUsers,
//     ActiveConfirmedUsers, AdminUsers, ActiveConfirmedAdmins and CurrentUser.
//   - settings/fields: What_Id and Parent_Id are data_type "lookup" with
//     lookup.module.api_name "se_module" and no id (as Zoho shows What_Id);
//     Participants is "participants", Remind_At "ALARM", Recurring_Activity "RRULE",
//     Layout "layout".
//   - COQL returns lookups (Owner, What_Id, Parent_Id included) as {"id"} only, with
//     no "$se_module"; it filters and orders by id, Created_Time and Modified_Time
//     exactly and compares other columns by their generated value (lookups by id);
//     it does not join (Account_Name.Account_Name), aggregate (COUNT) or select
//     subforms or Participants (INVALID_QUERY). Without order by it returns ascending
//     id order. The documented 50-column select limit is enforced.
//   - Credits are charged for successful answers (2xx and 304) only; a 429 is not
//     charged. The daily allowance uses the edition's per-user formula and caps.
//   - The token endpoint answers GET with 405 and an unsupported grant_type with 200
//     {"error":"unsupported_grant_type"}; it returns no refresh_token.
//   - Only v8 is served; /crm/v2 to v7 answer 400 API_NOT_SUPPORTED.
//   - Formula fields (Deals.Weighted_Amount__c) never change without Modified_Time.
package zohosim
