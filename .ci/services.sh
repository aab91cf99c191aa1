#!/usr/bin/env bash
# Installs (when missing), starts and stops the services the tests need, without Docker:
#   nats     nats-server with JetStream (apt package nats-server)
#   redis    redis-server (apt package redis-server)
#   mongo    mongo-java-server 1.47, MongoDB wire protocol, in memory (Maven Central; scripts/mongo-wire)
#   stripe   stripe-mock, Stripe's API mock (Go module proxy)
#   mailpit  SMTP catcher with a REST API (Go module proxy)
#   livekit  LiveKit server in dev mode (Go module proxy; the first build takes minutes)
#
# Usage:
#   eval "$(bash .ci/services.sh start [name...])"   # start what is not running, print `export ...` lines
#   bash .ci/services.sh stop [name...]              # stop what services.sh started (default: all of it)
#   bash .ci/services.sh install [name...]           # build/install only (CI runs it while npm ci runs)
#   bash .ci/services.sh status
#   bash .ci/services.sh env                         # print the `export ...` lines only
#
# A service already answering on its port is reused and never stopped by this script.
# Go binaries and the mongo-java-server jars are built once into LP_TOOLS_DIR and reused.
# Progress goes to stderr; stdout carries only the export lines.
#
# Settings (env): NATS_PORT (4222), REDIS_PORT (6379), MONGO_PORT (27017), STRIPE_PORT (12111),
#   SMTP_PORT (1025), MAILPIT_PORT (8025), LIVEKIT_PORT (7880), SERVICES_READY_TIMEOUT (60 s),
#   MONGO_WIRE_XMX (JVM heap of the database, default 2g),
#   LP_TOOLS_DIR (default ~/.cache/learning-platform), LP_SERVICES_STATE_DIR (pid/log files; default
#   /tmp/lp-services-<uid>), LP_SERVICES_STARTED_FILE (if set, `start` appends each service it launched).
set -euo pipefail

CI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$CI_DIR/.." && pwd)
HOST=127.0.0.1
NATS_PORT=${NATS_PORT:-4222}
REDIS_PORT=${REDIS_PORT:-6379}
MONGO_PORT=${MONGO_PORT:-27017}
STRIPE_PORT=${STRIPE_PORT:-12111}
SMTP_PORT=${SMTP_PORT:-1025}
MAILPIT_PORT=${MAILPIT_PORT:-8025}
LIVEKIT_PORT=${LIVEKIT_PORT:-7880}
READY_TIMEOUT=${SERVICES_READY_TIMEOUT:-60}
TOOLS_DIR=${LP_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/learning-platform}
STATE_DIR=${LP_SERVICES_STATE_DIR:-${TMPDIR:-/tmp}/lp-services-$(id -u)}
STARTED_FILE=${LP_SERVICES_STARTED_FILE:-}
TEST_JWT_SECRET=lp-ci-test-jwt-secret-not-for-production-0123456789
ALL_SERVICES=(nats redis mongo stripe mailpit livekit)

# Go modules built from the proxy, pinned (shared/STACK.md: later LiveKit releases do not build here).
STRIPE_MOCK_MODULE=github.com/stripe/stripe-mock@v0.203.0
MAILPIT_MODULE=github.com/axllent/mailpit@v1.33.1
LIVEKIT_MODULE=github.com/livekit/livekit-server/cmd/server@v1.13.5

# nats-server lives in /usr/sbin; Go's official tarball in /usr/local/go.
PATH=$PATH:/usr/sbin:/sbin:/usr/local/go/bin

log() { printf '[services] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$STATE_DIR" "$TOOLS_DIR/bin"

# Serialise concurrent calls; daemons must not inherit fd 9 (see launch).
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
  if ((!APT_UPDATED)); then
    log "apt-get update (a package is missing)"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$apt_log" 2>&1 \
      || { tail -n 20 "$apt_log" >&2; die "apt-get update failed"; }
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    >>"$apt_log" 2>&1 || { tail -n 20 "$apt_log" >&2; die "apt-get install $* failed"; }
}

# The cached binary of a Go module: <tools>/bin/<name>-<version>.
go_binary_path() { # name module@version
  printf '%s/bin/%s-%s\n' "$TOOLS_DIR" "$1" "${2##*@}"
}

# Builds a Go module once; a binary already in the cache is reused (LiveKit takes minutes to build).
ensure_go_binary() { # name module@version -> prints the binary
  local name=$1 module=$2 dest work build_log started=$SECONDS
  dest=$(go_binary_path "$name" "$module")
  if [[ -x $dest ]]; then
    printf '%s\n' "$dest"
    return 0
  fi
  command -v go >/dev/null || die "Go is needed to build $name ($module)"
  build_log=$STATE_DIR/$name-build.log
  log "$name: building $module (first time only; log $build_log)"
  work=$(mktemp -d -t "lp-$name-build.XXXXXX")
  if ! GOBIN=$work GOFLAGS=-buildvcs=false go install "$module" >"$build_log" 2>&1; then
    rm -rf "$work"
    tail -n 30 "$build_log" >&2
    die "building $name failed (full log: $build_log)"
  fi
  local built
  built=$(find "$work" -maxdepth 1 -type f -perm -u+x | head -n 1)
  [[ -n $built ]] || die "go install $module produced no binary"
  install -m 0755 "$built" "$dest.tmp.$$"
  mv -f "$dest.tmp.$$" "$dest"
  rm -rf "$work"
  log "$name: built $dest in $((SECONDS - started))s"
  printf '%s\n' "$dest"
}

install_one() {
  case $1 in
    nats) command -v nats-server >/dev/null || apt_install nats-server ;;
    redis) if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then apt_install redis-server redis-tools; fi ;;
    mongo)
      command -v java >/dev/null && command -v mvn >/dev/null || apt_install default-jdk-headless maven
      bash "$ROOT_DIR/scripts/mongo-wire/install.sh" >/dev/null
      ;;
    stripe) ensure_go_binary stripe-mock "$STRIPE_MOCK_MODULE" >/dev/null ;;
    mailpit) ensure_go_binary mailpit "$MAILPIT_MODULE" >/dev/null ;;
    livekit) ensure_go_binary livekit-server "$LIVEKIT_MODULE" >/dev/null ;;
    *) die "unknown service: $1" ;;
  esac
}

# ---------------------------------------------------------------- health checks

tcp_open() { # port
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

http_ok() { # url [curl args...]
  local url=$1
  shift
  curl -fsS -o /dev/null --max-time 3 "$@" "$url" 2>/dev/null
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

ping_one() {
  case $1 in
    nats) nats_ping >/dev/null ;;
    redis) [[ $(timeout 3 redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] ;;
    mongo) node "$CI_DIR/mongo-ping.mjs" "$HOST" "$MONGO_PORT" 2>/dev/null ;;
    stripe) http_ok "http://$HOST:$STRIPE_PORT/v1/customers" -H "Authorization: Bearer sk_test_123" ;;
    mailpit) http_ok "http://$HOST:$MAILPIT_PORT/api/v1/info" && tcp_open "$SMTP_PORT" ;;
    livekit) http_ok "http://$HOST:$LIVEKIT_PORT/" ;;
  esac
}

# ---------------------------------------------------------------- process bookkeeping

binary_of() { # service -> text its pid's command line must contain
  case $1 in
    nats) echo nats-server ;;
    redis) echo redis-server ;;
    mongo) echo MongoWire ;;
    stripe) echo stripe-mock ;;
    mailpit) echo mailpit ;;
    livekit) echo livekit-server ;;
    *) die "unknown service: $1" ;;
  esac
}

port_of() {
  case $1 in
    nats) echo "$NATS_PORT" ;;
    redis) echo "$REDIS_PORT" ;;
    mongo) echo "$MONGO_PORT" ;;
    stripe) echo "$STRIPE_PORT" ;;
    mailpit) echo "$MAILPIT_PORT" ;;
    livekit) echo "$LIVEKIT_PORT" ;;
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

wait_ready() { # service pid
  local name=$1 pid=$2 deadline=$((SECONDS + READY_TIMEOUT)) started=$SECONDS
  until ping_one "$name"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$STATE_DIR/$name.log" >&2
      stop_one "$name"
      die "$name exited during start-up (log: $STATE_DIR/$name.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 20 "$STATE_DIR/$name.log" >&2
      stop_one "$name"
      die "$name did not answer on $HOST:$(port_of "$name") within ${READY_TIMEOUT}s (log: $STATE_DIR/$name.log)"
    fi
    sleep 0.3
  done
  log "$name: ready on $HOST:$(port_of "$name") (pid $pid, $((SECONDS - started))s)"
}

# Returns 0 when a usable instance already answers (reused), 1 when the service must be started.
already_running() { # service
  local name=$1 pid
  if ping_one "$name"; then
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
  log "$name: started pid $pid (log $STATE_DIR/$name.log)"
  LAUNCHED_PID=$pid
}

# ---------------------------------------------------------------- services

start_one() {
  local name=$1 data
  install_one "$name"
  if already_running "$name"; then
    if [[ $name == nats ]] && [[ $(nats_ping || true) != *'"jetstream":true'* ]]; then
      log "WARNING: the NATS server on $HOST:$NATS_PORT runs without JetStream (-js); durable channels will fail"
    fi
    return 0
  fi
  data=$(mktemp -d -t "lp-$name.XXXXXX")
  case $name in
    nats) launch nats "$data" nats-server -a "$HOST" -p "$NATS_PORT" -js -sd "$data" ;;
    redis)
      launch redis "$data" redis-server --bind "$HOST" --port "$REDIS_PORT" --daemonize no \
        --save "" --appendonly no --dir "$data"
      ;;
    mongo)
      local dir
      dir=$(bash "$ROOT_DIR/scripts/mongo-wire/install.sh")
      # In memory: tests and benchmarks start from nothing; -Xmx caps what a long benchmark can take.
      launch mongo "$data" java "-Xmx${MONGO_WIRE_XMX:-2g}" -cp "$dir/lib/*:$dir/classes" MongoWire \
        --host "$HOST" --port "$MONGO_PORT"
      ;;
    stripe)
      launch stripe "$data" "$(go_binary_path stripe-mock "$STRIPE_MOCK_MODULE")" \
        -http-addr "$HOST:$STRIPE_PORT" -https-addr "$HOST:$((STRIPE_PORT + 1))"
      ;;
    mailpit)
      launch mailpit "$data" "$(go_binary_path mailpit "$MAILPIT_MODULE")" \
        --smtp "$HOST:$SMTP_PORT" --listen "$HOST:$MAILPIT_PORT" --database "$data/mailpit.db" \
        --smtp-auth-accept-any --smtp-auth-allow-insecure --disable-version-check
      ;;
    livekit)
      # --dev: API key "devkey", secret "secret"; media on LIVEKIT_PORT+1 (tcp) and +2 (udp).
      launch livekit "$data" "$(go_binary_path livekit-server "$LIVEKIT_MODULE")" --dev \
        --bind "$HOST" --port "$LIVEKIT_PORT" --node-ip "$HOST" \
        --rtc.tcp_port "$((LIVEKIT_PORT + 1))" --udp-port "$((LIVEKIT_PORT + 2))"
      ;;
  esac
  wait_ready "$name" "$LAUNCHED_PID"
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
export STRIPE_MOCK_URL=http://$HOST:$STRIPE_PORT
export MAILPIT_SMTP_URL=smtp://$HOST:$SMTP_PORT
export MAILPIT_API_URL=http://$HOST:$MAILPIT_PORT
export LIVEKIT_URL=http://$HOST:$LIVEKIT_PORT
export LIVEKIT_API_KEY=devkey
export LIVEKIT_API_SECRET=secret
EOF
}

status() {
  local name pid state
  for name in "${ALL_SERVICES[@]}"; do
    if ping_one "$name"; then state=up; else state=down; fi
    if pid=$(owned_pid "$name"); then state+=" (started by services.sh, pid $pid)"; fi
    printf '%-8s %s:%s %s\n' "$name" "$HOST" "$(port_of "$name")" "$state"
  done
}

main() {
  local cmd=${1:-}
  shift || true
  local names=("$@")
  ((${#names[@]})) || names=("${ALL_SERVICES[@]}")
  local name
  case $cmd in
    start)
      for name in "${names[@]}"; do start_one "$name"; done
      print_env
      ;;
    install) for name in "${names[@]}"; do install_one "$name"; done ;;
    stop) for name in "${names[@]}"; do stop_one "$name"; done ;;
    status) status ;;
    env) print_env ;;
    *)
      echo "usage: bash .ci/services.sh start|stop|install [${ALL_SERVICES[*]}]|status|env" >&2
      exit 2
      ;;
  esac
}

main "$@"
