# crmgraph: a Railway cron service that asks the extractor for a sync. Railway
# starts it on the cronSchedule of railway.json and it exits when the trigger
# has answered (deploy/ops/trigger.sh). Set CRMGRAPH_TRIGGER_URL and
# CRMGRAPH_API_KEY as service variables; see deploy/ops/README.md.
#
#   docker build -f deploy/ops/railway/trigger.Dockerfile .
FROM curlimages/curl:8.11.1
COPY --chmod=755 deploy/ops/trigger.sh /usr/local/bin/crmgraph-trigger
USER curl_user
ENTRYPOINT ["/usr/local/bin/crmgraph-trigger"]
