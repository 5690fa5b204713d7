#!/usr/bin/env bash
# neo4j.sh runs the local Neo4j Community server of crmgraph's development stack: the
# embedded launcher in deploy/neo4j, built by Maven, as one background JVM.
#
#   neo4j.sh build    build deploy/neo4j unless it is up to date (or running)
#   neo4j.sh start    build if needed, start in the background, wait until Bolt answers
#   neo4j.sh stop     stop it (SIGTERM, then SIGKILL after 60 s); fine when not running
#   neo4j.sh status   say whether it runs and where; exit 0 if running, 3 if not
#   neo4j.sh wipe     delete the database (refused while running)
#
# State lives in .run/neo4j under the repo root: neo4j.log (the JVM's stdout and stderr),
# neo4j.pid, build.log (the last Maven build), .lock (serialises the commands), and
# home/ (the data, and Neo4j's own log in home/logs/debug.log).
#
# Environment:
#   NEO4J_BOLT_PORT       Bolt port on 127.0.0.1 (default 7687)
#   NEO4J_HEAP            JVM heap flags (default "-Xms1g -Xmx2g")
#   NEO4J_PAGECACHE       page cache size (default 512m)
#   NEO4J_START_TIMEOUT   seconds start waits for Bolt (default 120)
#   JAVA_HOME             Java 17 to use; otherwise `java` from PATH
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROJECT=$ROOT/deploy/neo4j
RUN=$ROOT/.run/neo4j
LOG=$RUN/neo4j.log
BUILD_LOG=$RUN/build.log
PIDFILE=$RUN/neo4j.pid
HOME_DIR=$RUN/home
STAMP=$PROJECT/target/lib/.built

PORT=${NEO4J_BOLT_PORT:-7687}
HEAP=${NEO4J_HEAP:--Xms1g -Xmx2g}
PAGECACHE=${NEO4J_PAGECACHE:-512m}
START_TIMEOUT=${NEO4J_START_TIMEOUT:-120}
STOP_TIMEOUT=60
MAIN=dev.crmgraph.neo4j.Launcher

if [[ -n ${JAVA_HOME:-} ]]; then
	JAVA=$JAVA_HOME/bin/java
else
	JAVA=java
fi

# The flags Neo4j's own neo4j.conf passes to the JVM, plus G1.
JVM_FLAGS=(
	--add-opens=java.base/java.nio=ALL-UNNAMED
	--add-opens=java.base/java.io=ALL-UNNAMED
	--add-opens=java.base/sun.nio.ch=ALL-UNNAMED
	--enable-native-access=ALL-UNNAMED
	-Dio.netty.tryReflectionSetAccessible=true
	-XX:+UseG1GC
)

log() { echo "neo4j: $*"; }
die() { echo "neo4j: $*" >&2; exit 1; }

# answers reports whether something accepts TCP connections on 127.0.0.1:$1.
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid prints the launcher's pid and succeeds if the pid file names a live launcher.
# A pid file left behind by a dead process (or a reused pid) is removed.
pid() {
	[[ -f $PIDFILE ]] || return 1
	local p cmdline=
	p=$(<"$PIDFILE")
	if [[ $p =~ ^[0-9]+$ ]]; then
		cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || true
	fi
	if [[ $cmdline == *" $MAIN --home $HOME_DIR "* ]]; then
		echo "$p"
		return 0
	fi
	rm -f "$PIDFILE"
	return 1
}

# ready_line prints the launcher's READY line from the current log, if it has one.
ready_line() { grep -m1 '^READY ' "$LOG" 2>/dev/null || true; }

# running_port prints the port of the running launcher (from its READY line) or $PORT.
running_port() {
	local line
	line=$(ready_line)
	if [[ $line =~ :([0-9]+)\  ]]; then echo "${BASH_REMATCH[1]}"; else echo "$PORT"; fi
}

now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

cmd_build() {
	# Up to date when the stamp of the last good build is newer than the pom and sources.
	if [[ -f $STAMP && -d $PROJECT/target/classes ]] &&
		[[ -z $(find "$PROJECT/pom.xml" "$PROJECT/src" -newer "$STAMP" -print -quit) ]]; then
		return 0
	fi
	# Rebuilding replaces jars under a running JVM's feet; the running one stays as it is.
	local p
	if p=$(pid); then
		log "sources changed, but pid $p runs the old build; run '$0 stop' to rebuild" >&2
		return 0
	fi

	# A changed pom may change the Neo4j version: clean, so old jars leave target/lib.
	local goals=package
	if [[ ! -f $STAMP || $PROJECT/pom.xml -nt $STAMP ]]; then
		goals="clean package"
	fi
	local t0
	t0=$(now)
	log "building $PROJECT (mvn $goals; output in $BUILD_LOG)"
	# shellcheck disable=SC2086 # goals is one or two words
	if ! (cd "$PROJECT" && mvn -B $goals) >"$BUILD_LOG" 2>&1; then
		grep -E '^\[(ERROR|FATAL)\]' "$BUILD_LOG" | head -n 20 >&2
		die "maven build failed; see $BUILD_LOG"
	fi
	touch "$STAMP"
	log "built in $(since "$t0") s ($(find "$PROJECT/target/lib" -name '*.jar' | wc -l) jars)"
}

cmd_start() {
	local p
	if p=$(pid); then
		local port
		port=$(running_port)
		if answers "$port"; then
			log "already running (pid $p) at bolt://127.0.0.1:$port"
			return 0
		fi
		log "pid $p is starting; waiting for it"
		wait_ready "$p" "$(now)"
		return
	fi

	answers "$PORT" && die "port $PORT is already in use by another process"
	cmd_build
	mkdir -p "$RUN"

	local t0
	t0=$(now)
	# shellcheck disable=SC2086 # HEAP holds several flags on purpose
	nohup setsid "$JAVA" $HEAP "${JVM_FLAGS[@]}" \
		-cp "$PROJECT/target/classes:$PROJECT/target/lib/*" "$MAIN" \
		--home "$HOME_DIR" --bolt-port "$PORT" --pagecache "$PAGECACHE" \
		>"$LOG" 2>&1 </dev/null 9>&- &
	p=$!
	echo "$p" >"$PIDFILE"
	log "started pid $p (heap: $HEAP, page cache: $PAGECACHE); log: $LOG"
	wait_ready "$p" "$t0"
}

# wait_ready waits until launcher $1 printed READY and its port answers. On failure it
# prints the log tail, stops the JVM, and exits non-zero.
wait_ready() {
	local p=$1 t0=$2 line port
	local deadline=$((SECONDS + START_TIMEOUT))
	while ((SECONDS < deadline)); do
		if ! kill -0 "$p" 2>/dev/null; then
			rm -f "$PIDFILE"
			log "exited during start; last lines of $LOG:" >&2
			tail -n 40 "$LOG" >&2
			exit 1
		fi
		line=$(ready_line)
		if [[ -n $line ]]; then
			port=$(running_port)
			if answers "$port"; then
				log "ready in $(since "$t0") s: ${line#READY }"
				return 0
			fi
		fi
		sleep 0.2
	done
	log "not ready after ${START_TIMEOUT} s; last lines of $LOG:" >&2
	tail -n 40 "$LOG" >&2
	cmd_stop >&2 || true
	exit 1
}

cmd_stop() {
	local p port
	port=$(running_port)
	if p=$(pid); then
		local t0
		t0=$(now)
		kill -TERM "$p" 2>/dev/null || true
		local deadline=$((SECONDS + STOP_TIMEOUT))
		while kill -0 "$p" 2>/dev/null && ((SECONDS < deadline)); do
			sleep 0.2
		done
		if kill -0 "$p" 2>/dev/null; then
			log "pid $p still running after ${STOP_TIMEOUT} s; sending SIGKILL"
			kill -KILL "$p" 2>/dev/null || true
			while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
		else
			log "stopped pid $p in $(since "$t0") s"
		fi
		rm -f "$PIDFILE"
	else
		log "not running"
	fi
	if answers "$port"; then
		die "something still listens on 127.0.0.1:$port"
	fi
}

cmd_status() {
	local p
	if p=$(pid); then
		local port
		port=$(running_port)
		if answers "$port"; then
			log "running (pid $p): $(ready_line | sed 's/^READY //')"
		else
			log "starting or stuck (pid $p); bolt://127.0.0.1:$port does not answer yet"
		fi
		return 0
	fi
	log "not running (would listen on bolt://127.0.0.1:$PORT)"
	return 3
}

cmd_wipe() {
	local p
	if p=$(pid); then
		die "running (pid $p); run '$0 stop' first"
	fi
	rm -rf "$HOME_DIR"
	log "wiped $HOME_DIR"
}

# lock serialises commands that change state, so two concurrent starts cannot race.
# The JVM does not inherit it (9>&- above).
lock() {
	mkdir -p "$RUN"
	exec 9>"$RUN/.lock"
	flock 9
}

case ${1:-} in
build | start | stop | wipe)
	lock
	"cmd_$1"
	;;
status) cmd_status ;;
*)
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
