#!/bin/sh
# crmgraph-trigger: ask a running "extractor serve" for a sync, from any
# scheduler (Railway cron, a systemd timer, cron). It needs curl and:
#
#   CRMGRAPH_TRIGGER_URL  the trigger, e.g. http://extractor:8080/api/v1/crm-sync
#   CRMGRAPH_API_KEY      the key the extractor was given (X-API-Key)
#   CRMGRAPH_MODE         incremental (the default) or full
#
# Exit 0 when the extractor accepted the run (202) or one is already in
# progress (409: the next schedule will catch up); 1 otherwise. The key is
# sent in a header and never printed.
set -eu

: "${CRMGRAPH_TRIGGER_URL:?set CRMGRAPH_TRIGGER_URL to the extractor's /api/v1/crm-sync}"
: "${CRMGRAPH_API_KEY:?set CRMGRAPH_API_KEY to the extractor's API key}"
mode="${CRMGRAPH_MODE:-incremental}"

body="$(mktemp)"
trap 'rm -f "$body"' EXIT
status="$(curl -sS --retry 3 --max-time 60 -o "$body" -w '%{http_code}' \
	-X POST -H "X-API-Key: ${CRMGRAPH_API_KEY}" \
	"${CRMGRAPH_TRIGGER_URL}?mode=${mode}")" || status=000

case "$status" in
202)
	echo "crmgraph: $mode run accepted: $(cat "$body")"
	;;
409)
	echo "crmgraph: a run is already in progress; nothing to do"
	;;
*)
	echo "crmgraph: trigger answered $status: $(cat "$body")" >&2
	exit 1
	;;
esac
