#!/usr/bin/env bash
# nats.sh runs the local NATS server of crmgraph's development stack: the real
# nats-server, built by `make tools` into .tools/bin, with JetStream on 127.0.0.1.
#
#   nats.sh start    start in the background unless already running; wait until it answers
#   nats.sh stop     stop it (SIGTERM, then SIGKILL after 30 s); fine when not running
#   nats.sh status   say whether it runs; exit 0 if running, 3 if not
#   nats.sh wipe     delete the JetStream store (refused while running)
#
# State lives in .run/nats under the repo root: nats.log, nats.pid and store/.
#
# Environment:
#   NATS_PORT   client port on 127.0.0.1 (default 4222)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUN=$ROOT/.run/nats
LOG=$RUN/nats.log
PIDFILE=$RUN/nats.pid
STORE=$RUN/store
SERVER=$ROOT/.tools/bin/nats-server
PORT=${NATS_PORT:-4222}

log() { echo "nats: $*"; }
die() { echo "nats: $*" >&2; exit 1; }

# answers reports whether something accepts TCP connections on 127.0.0.1:$1.
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ours reports whether the pid file names a live nats-server.
ours() {
	[[ -f $PIDFILE ]] || return 1
	local pid
	pid=$(<"$PIDFILE")
	kill -0 "$pid" 2>/dev/null && [[ $(ps -o comm= -p "$pid") == nats-server* ]]
}

start() {
	if ours; then
		log "already running (pid $(<"$PIDFILE")) on nats://127.0.0.1:$PORT"
		return 0
	fi
	[[ -x $SERVER ]] || die "$SERVER is missing; run 'make tools'"
	answers "$PORT" && die "port $PORT is taken by another process; stop it or set NATS_PORT"
	mkdir -p "$RUN" "$STORE"
	setsid "$SERVER" --addr 127.0.0.1 --port "$PORT" --jetstream --store_dir "$STORE" \
		--server_name crmgraph-local >"$LOG" 2>&1 </dev/null &
	echo $! >"$PIDFILE"
	local t0=$SECONDS
	until answers "$PORT"; do
		if ! ours; then
			tail -20 "$LOG" >&2
			die "nats-server exited during start; log above"
		fi
		((SECONDS - t0 < 30)) || die "nats-server did not answer on $PORT within 30 s"
		sleep 0.2
	done
	log "started (pid $(<"$PIDFILE")) on nats://127.0.0.1:$PORT, JetStream store $STORE"
}

stop() {
	if ! ours; then
		rm -f "$PIDFILE"
		log "not running"
		return 0
	fi
	local pid
	pid=$(<"$PIDFILE")
	kill -TERM "$pid"
	for _ in $(seq 1 150); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "still running after 30 s; sending SIGKILL"
		kill -KILL "$pid"
	fi
	rm -f "$PIDFILE"
	log "stopped"
}

status() {
	if ours; then
		log "running (pid $(<"$PIDFILE")) on nats://127.0.0.1:$PORT"
		return 0
	fi
	log "not running"
	return 3
}

wipe() {
	ours && die "refusing to wipe while running; stop it first"
	rm -rf "$STORE"
	log "store wiped"
}

case ${1:-} in
start | stop | status | wipe) "$1" ;;
*) die "usage: nats.sh start|stop|status|wipe" ;;
esac
