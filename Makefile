# crmgraph: the two commands are `make demo` and `make test`; see README.md.
#
# Tools (nats-server, the nats CLI) are built from the Go module proxy into .tools/bin;
# Neo4j is built from Maven Central into deploy/neo4j/target; state lives in .run/.
# All of it is git-ignored.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NATS_SERVER_VERSION := v2.15.3
NATSCLI_VERSION := v0.5.0
TOOLS := $(CURDIR)/.tools/bin
NATS := $(TOOLS)/nats
NATS_PORT ?= 4222
NEO4J_BOLT_PORT ?= 7687
NATS_URL := nats://127.0.0.1:$(NATS_PORT)
NEO4J_URI := bolt://127.0.0.1:$(NEO4J_BOLT_PORT)
MODULES := events extractor loader relinker sinks deploy
GO_TEST_FLAGS ?= -count=1 -timeout 45m
export NEO4J_URI NATS_PORT NEO4J_BOLT_PORT

.PHONY: help tools build up down test vet fmt demo bench

help:
	@echo "make demo    run a demo sync on the local stack (see README.md)"
	@echo "make test    build what the tests need, start the stack, run every test, stop it"
	@echo "make up      start NATS (127.0.0.1:4222) and Neo4j (bolt://127.0.0.1:7687)"
	@echo "make down    stop them"
	@echo "make bench   measure every scenario (SCALE=17 for about 1M records)"
	@echo "make tools   build nats-server and the nats CLI into .tools/bin"

$(TOOLS)/nats-server:
	@echo "tools: building nats-server $(NATS_SERVER_VERSION) into $(TOOLS)"
	GOWORK=off GOBIN=$(TOOLS) go install github.com/nats-io/nats-server/v2@$(NATS_SERVER_VERSION)

$(TOOLS)/nats:
	@echo "tools: building the nats CLI $(NATSCLI_VERSION) into $(TOOLS)"
	GOWORK=off GOBIN=$(TOOLS) go install github.com/nats-io/natscli/nats@$(NATSCLI_VERSION)

tools: $(TOOLS)/nats-server $(TOOLS)/nats
	deploy/local/neo4j.sh build

build:
	mkdir -p bin
	go build -o bin/ ./extractor/cmd/... ./loader/cmd/... ./relinker/cmd/... ./sinks/cmd/... \
		./deploy/cmd/...

# demo starts from a clean state every time: it stops the stack, wipes its data, starts
# it again and runs the pipeline; NATS and Neo4j keep running afterwards for exploring.
demo: tools build
	@$(MAKE) --no-print-directory down >/dev/null
	deploy/local/nats.sh wipe
	deploy/local/neo4j.sh wipe
	@$(MAKE) --no-print-directory up
	bin/demo -nats-url $(NATS_URL) -neo4j-uri $(NEO4J_URI)

up: tools
	deploy/local/nats.sh start
	deploy/local/neo4j.sh start
	$(NATS) -s $(NATS_URL) account info >/dev/null
	@echo
	@echo "NATS   $(NATS_URL)   (JetStream; try: .tools/bin/nats -s $(NATS_URL) stream ls)"
	@echo "Neo4j  $(NEO4J_URI)   (no auth; database neo4j)"

down:
	deploy/local/neo4j.sh stop
	deploy/local/nats.sh stop

# test runs every test of every module against the real servers, then stops them
# whatever the outcome, and exits with the tests' status.
test: up
	@status=0; \
	go test $(GO_TEST_FLAGS) -v $(addprefix ./,$(addsuffix /...,$(MODULES))) || status=$$?; \
	$(MAKE) --no-print-directory down; \
	if [[ $$status -eq 0 ]]; then echo "make test: all tests passed"; \
	else echo "make test: FAILED (go test exit $$status)"; fi; \
	exit $$status

# bench measures every scenario on a clean local stack (see deploy/bench); SCALE=17 runs
# at about 1M records. Results: deploy/bench/results/latest.json and a table.
SCALE ?= 1
RUNS ?= 3
bench: tools build
	@$(MAKE) --no-print-directory down >/dev/null
	deploy/local/nats.sh wipe
	deploy/local/neo4j.sh wipe
	@$(MAKE) --no-print-directory up
	bin/bench -scale $(SCALE) -runs $(RUNS) -nats-url $(NATS_URL) -neo4j-uri $(NEO4J_URI)

vet:
	go vet $(addprefix ./,$(addsuffix /...,$(MODULES)))

fmt:
	gofmt -l -w $(MODULES)
