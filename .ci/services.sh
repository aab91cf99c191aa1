#!/usr/bin/env bash
# Installs (when missing), starts and stops the services the tests need, without Docker:
#   nats      nats-server with JetStream (apt package nats-server)
#   redis     redis-server (apt package redis-server)
#   ferretdb  FerretDB v1.24.2, MongoDB wire protocol on SQLite (built with Go)
#
# Usage:
#   eval "$(bash .ci/services.sh start)"   # start what is not running, print `export ...` lines
#   bash .ci/services.sh stop [name...]    # stop what services.sh started (default: all of it)
#   bash .ci/services.sh status
#   bash .ci/services.sh env               # print the `export ...` lines only
#
# A service already answering on its port is reused and never stopped by this script.
# Progress goes to stderr; stdout carries only the export lines.
#
# Settings (env): NATS_PORT (4222), REDIS_PORT (6379), MONGO_PORT (27017),
#   SERVICES_READY_TIMEOUT (60 s), FERRETDB_BIN (a FerretDB binary to use instead of building one),
#   LP_SERVICES_STATE_DIR (pid/log files; default /tmp/lp-services-<uid>),
#   LP_SERVICES_STARTED_FILE (if set, `start` appends the name of each service it launched).
set -euo pipefail

CI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HOST=127.0.0.1
NATS_PORT=${NATS_PORT:-4222}
REDIS_PORT=${REDIS_PORT:-6379}
MONGO_PORT=${MONGO_PORT:-27017}
READY_TIMEOUT=${SERVICES_READY_TIMEOUT:-60}
FERRETDB_VERSION=v1.24.2
STATE_DIR=${LP_SERVICES_STATE_DIR:-${TMPDIR:-/tmp}/lp-services-$(id -u)}
STARTED_FILE=${LP_SERVICES_STARTED_FILE:-}
TEST_JWT_SECRET=lp-ci-test-jwt-secret-not-for-production-0123456789
ALL_SERVICES=(nats redis ferretdb)

# nats-server lives in /usr/sbin; Go's official tarball in /usr/local/go.
PATH=$PATH:/usr/sbin:/sbin:/usr/local/go/bin

log() { printf '[services] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$STATE_DIR"

# Serialise concurrent start/stop calls; daemons must not inherit fd 9 (see launch).
if command -v flock >/dev/null; then
  exec 9>"$STATE_DIR/lock"
  flock -w 1200 9 || die "another services.sh call holds $STATE_DIR/lock"
fi

# ---------------------------------------------------------------- installation

SUDO=()
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then SUDO=(sudo); fi

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "$* not installed and apt-get is unavailable: install it by hand"
  local apt_log=$STATE_DIR/apt.log
  if (( ! APT_UPDATED )); then
    log "apt-get update (a package is missing)"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$apt_log" 2>&1 \
      || { tail -n 20 "$apt_log" >&2; die "apt-get update failed"; }
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    >>"$apt_log" 2>&1 || { tail -n 20 "$apt_log" >&2; die "apt-get install $* failed"; }
}

ensure_nats_installed() {
  command -v nats-server >/dev/null || apt_install nats-server
}

ensure_redis_installed() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    apt_install redis-server redis-tools
  fi
}

ferretdb_works() { # binary
  [[ -x $1 ]] && "$1" --version 2>/dev/null | grep -qx "version: $FERRETDB_VERSION"
}

go_bin_dir() {
  local gobin
  gobin=$(go env GOBIN)
  [[ -n $gobin ]] || gobin="$(go env GOPATH | cut -d: -f1)/bin"
  printf '%s\n' "$gobin"
}

# `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` yields a binary that panics at
# start-up ("Invalid build/version/version.txt file content"): the module ships without the
# generated version.txt. So: download the module, add version.txt, and build it from a copy.
build_ferretdb() { # destination
  local dest=$1 work src build_log=$STATE_DIR/ferretdb-build.log started=$SECONDS
  command -v go >/dev/null || die "Go is needed to build FerretDB (or set FERRETDB_BIN)"
  log "ferretdb: building $FERRETDB_VERSION with $(go version | cut -d' ' -f3) (first build takes minutes; log $build_log)"
  work=$(mktemp -d -t lp-ferretdb-build.XXXXXX)
  # Each step ends the subshell on failure: `set -e` does not apply inside an `if` condition.
  if ! (
    cd "$work" || exit 1
    src=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p') || exit 1
    [[ -n $src && -d $src ]] || { echo "go mod download gave no source folder"; exit 1; }
    cp -R "$src" "$work/src" || exit 1
    chmod -R u+w "$work/src" || exit 1
    printf '%s\n' "$FERRETDB_VERSION" >"$work/src/build/version/version.txt" || exit 1
    cd "$work/src" || exit 1
    go build -buildvcs=false -o "$work/ferretdb" ./cmd/ferretdb || exit 1
    mkdir -p "$(dirname "$dest")" || exit 1
    install -m 0755 "$work/ferretdb" "$dest.tmp.$$" || exit 1
    mv -f "$dest.tmp.$$" "$dest"
  ) >"$build_log" 2>&1; then
    rm -rf "$work"
    tail -n 30 "$build_log" >&2
    die "building FerretDB failed (full log: $build_log)"
  fi
  rm -rf "$work"
  ferretdb_works "$dest" || die "the FerretDB binary built at $dest does not run: $("$dest" --version 2>&1 | head -n 3)"
  log "ferretdb: built $dest in $((SECONDS - started))s"
}

FERRETDB=
ensure_ferretdb_installed() {
  local candidate
  if [[ -n ${FERRETDB_BIN:-} ]]; then
    ferretdb_works "$FERRETDB_BIN" || die "FERRETDB_BIN=$FERRETDB_BIN is not a working FerretDB $FERRETDB_VERSION"
    FERRETDB=$FERRETDB_BIN
    return
  fi
  if command -v go >/dev/null; then
    candidate="$(go_bin_dir)/ferretdb"
    if ferretdb_works "$candidate"; then FERRETDB=$candidate; return; fi
  fi
  candidate=$(command -v ferretdb || true)
  if [[ -n $candidate ]] && ferretdb_works "$candidate"; then FERRETDB=$candidate; return; fi
  command -v go >/dev/null || die "FerretDB is missing and Go is not installed"
  FERRETDB="$(go_bin_dir)/ferretdb"
  build_ferretdb "$FERRETDB"
}

# ---------------------------------------------------------------- health checks

tcp_open() { # port
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

redis_ping() {
  [[ $(timeout 3 redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
}

# Reads the server's INFO line, sends CONNECT + PING and expects PONG. Prints the INFO line.
nats_ping() {
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    IFS= read -r info <&3 || exit 1
    [[ $info == INFO* ]] || exit 1
    printf "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n" >&3
    IFS= read -r reply <&3 || exit 1
    [[ $reply == PONG* ]] || exit 1
    printf "%s\n" "$info"' "$HOST" "$NATS_PORT" 2>/dev/null
}

ferretdb_ping() {
  node "$CI_DIR/mongo-ping.mjs" "$HOST" "$MONGO_PORT" 2>/dev/null
}

# ---------------------------------------------------------------- process bookkeeping

binary_of() { # service -> process name its pid must show
  case $1 in
    nats) echo nats-server ;;
    redis) echo redis-server ;;
    ferretdb) echo ferretdb ;;
    *) die "unknown service: $1" ;;
  esac
}

port_of() {
  case $1 in
    nats) echo "$NATS_PORT" ;;
    redis) echo "$REDIS_PORT" ;;
    ferretdb) echo "$MONGO_PORT" ;;
  esac
}

# True when the pid recorded for the service is alive and still runs that service's binary.
owned_pid() { # service -> prints pid
  local pidfile=$STATE_DIR/$1.pid pid cmd
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r /proc/$pid/cmdline ]]; then
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline")
  else
    cmd=$(ps -p "$pid" -o args= 2>/dev/null || true)
  fi
  [[ $cmd == *"$(binary_of "$1")"* ]] || return 1
  printf '%s\n' "$pid"
}

wait_ready() { # service ping-function pid
  local name=$1 ping=$2 pid=$3 deadline=$((SECONDS + READY_TIMEOUT)) started=$SECONDS
  until "$ping" >/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$STATE_DIR/$name.log" >&2
      stop_one "$name"
      die "$name exited during start-up (log: $STATE_DIR/$name.log)"
    fi
    if (( SECONDS >= deadline )); then
      tail -n 20 "$STATE_DIR/$name.log" >&2
      stop_one "$name"
      die "$name did not answer on $HOST:$(port_of "$name") within ${READY_TIMEOUT}s (log: $STATE_DIR/$name.log)"
    fi
    sleep 0.3
  done
  log "$name: ready on $HOST:$(port_of "$name") (pid $pid, $((SECONDS - started))s)"
}

# Returns 0 when a usable instance already answers (reused), 1 when the service must be started.
already_running() { # service ping-function
  local name=$1 ping=$2 pid
  if "$ping" >/dev/null; then
    if pid=$(owned_pid "$name"); then
      log "$name: already running, started earlier by services.sh (pid $pid)"
    else
      log "$name: reusing the instance already running on $HOST:$(port_of "$name")"
    fi
    return 0
  fi
  if tcp_open "$(port_of "$name")"; then
    die "$name: port $(port_of "$name") is taken by a process that does not answer a $name ping; free it or change the port"
  fi
  if pid=$(owned_pid "$name"); then
    log "$name: recorded pid $pid does not answer; stopping it"
  fi
  stop_one "$name" 2>/dev/null
  return 1
}

launch() { # service data-dir command...
  local name=$1 data=$2 pid
  shift 2
  local launcher=()
  command -v setsid >/dev/null && launcher=(setsid)
  # Detached from this shell and its stdio, so CI pipes close and the lock is released.
  "${launcher[@]}" "$@" </dev/null >"$STATE_DIR/$name.log" 2>&1 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$STATE_DIR/$name.pid"
  printf '%s\n' "$data" >"$STATE_DIR/$name.data"
  if [[ -n $STARTED_FILE ]]; then printf '%s\n' "$name" >>"$STARTED_FILE"; fi
  log "$name: started pid $pid (data $data, log $STATE_DIR/$name.log)"
  LAUNCHED_PID=$pid
}

# ---------------------------------------------------------------- services

start_nats() {
  ensure_nats_installed
  if already_running nats nats_ping; then
    local info
    info=$(nats_ping || true)
    [[ $info == *'"jetstream":true'* ]] \
      || log "WARNING: the NATS server on $HOST:$NATS_PORT runs without JetStream (-js); durable channels will fail"
    return 0
  fi
  local data
  data=$(mktemp -d -t lp-nats.XXXXXX)
  launch nats "$data" nats-server -a "$HOST" -p "$NATS_PORT" -js -sd "$data"
  wait_ready nats nats_ping "$LAUNCHED_PID"
}

start_redis() {
  ensure_redis_installed
  already_running redis redis_ping && return 0
  local data
  data=$(mktemp -d -t lp-redis.XXXXXX)
  launch redis "$data" redis-server --bind "$HOST" --port "$REDIS_PORT" --daemonize no \
    --save "" --appendonly no --dir "$data"
  wait_ready redis redis_ping "$LAUNCHED_PID"
}

start_ferretdb() {
  command -v node >/dev/null || die "node is needed to ping FerretDB"
  if already_running ferretdb ferretdb_ping; then return 0; fi
  ensure_ferretdb_installed
  local data
  data=$(mktemp -d -t lp-ferretdb.XXXXXX)
  # synchronous(normal) in WAL mode: every commit is atomic and survives a crash of FerretDB or of the
  # platform, only an OS crash or power cut can lose the last commits, as with MongoDB's default journal
  # (flushed every 100 ms, not per write). SQLite's default (full) fsyncs each commit: 50-80 ms per write
  # on these machines' disks, which made the database, not the platform, what tests and benches measured.
  launch ferretdb "$data" "$FERRETDB" --handler=sqlite --sqlite-url="file:$data/?_pragma=synchronous(normal)" --state-dir="$data" \
    --listen-addr="$HOST:$MONGO_PORT" --debug-addr=- --telemetry=disable --log-level=warn
  wait_ready ferretdb ferretdb_ping "$LAUNCHED_PID"
}

stop_one() { # service
  local name=$1 pid data
  binary_of "$name" >/dev/null
  if pid=$(owned_pid "$name"); then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name: pid $pid ignored SIGTERM for 10s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "$name: stopped pid $pid"
  fi
  rm -f "$STATE_DIR/$name.pid"
  if [[ -f $STATE_DIR/$name.data ]]; then
    data=$(<"$STATE_DIR/$name.data")
    # Only ever delete the temp folders launch() created.
    if [[ $data == */lp-$name.* && -d $data ]]; then rm -rf "$data"; fi
    rm -f "$STATE_DIR/$name.data"
  fi
}

print_env() {
  cat <<EOF
export MONGO_URL=mongodb://$HOST:$MONGO_PORT/lp_test
export NATS_URL=nats://$HOST:$NATS_PORT
export REDIS_URL=redis://$HOST:$REDIS_PORT
export JWT_SECRET=$TEST_JWT_SECRET
export NODE_ENV=test
EOF
}

status() {
  local name ping pid state
  for name in "${ALL_SERVICES[@]}"; do
    case $name in
      nats) ping=nats_ping ;;
      redis) ping=redis_ping ;;
      ferretdb) ping=ferretdb_ping ;;
    esac
    if "$ping" >/dev/null; then state=up; else state=down; fi
    if pid=$(owned_pid "$name"); then state+=" (started by services.sh, pid $pid)"; fi
    printf '%-9s %s:%s %s\n' "$name" "$HOST" "$(port_of "$name")" "$state"
  done
}

main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
    start)
      start_nats
      start_redis
      start_ferretdb
      print_env
      ;;
    stop)
      local names=("$@")
      ((${#names[@]})) || names=("${ALL_SERVICES[@]}")
      local name
      for name in "${names[@]}"; do stop_one "$name"; done
      ;;
    status) status ;;
    env) print_env ;;
    *)
      echo "usage: bash .ci/services.sh start|stop [nats|redis|ferretdb...]|status|env" >&2
      exit 2
      ;;
  esac
}

main "$@"
