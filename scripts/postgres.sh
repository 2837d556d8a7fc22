#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, on 127.0.0.1 and a free port.
#
#   scripts/postgres.sh start   start it (if not running) and print its URL
#   scripts/postgres.sh url     print the URL of the running cluster
#   scripts/postgres.sh stop    stop it and remove its directory
#
# start and url print nothing on stdout but the connection URL, e.g.
# postgres://herald@127.0.0.1:41234/herald?sslmode=disable, so that
#   export HERALD_TEST_POSTGRES_URL=$(scripts/postgres.sh start)
# works; progress and errors go to stderr. start is idempotent.
#
# The cluster lives in $HERALD_PG_DIR (default /tmp/herald-postgres-$UID),
# uses the newest /usr/lib/postgresql/*/bin (or $HERALD_PG_BIN), trusts local
# connections (no password) and has a superuser and a database both named
# herald. initdb and postgres refuse to run as root: as root the server runs
# as the "postgres" user (or "nobody" when there is none).
#
# HERALD_PG_FSYNC=off turns off fsync and synchronous_commit: faster tests,
# no durability. The default (on) keeps benchmark figures honest.
set -euo pipefail

dir=${HERALD_PG_DIR:-/tmp/herald-postgres-$(id -u)}
data=$dir/data
log=$dir/server.log
urlfile=$dir/url

say() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

bindir() {
  if [ -n "${HERALD_PG_BIN:-}" ]; then
    printf '%s\n' "$HERALD_PG_BIN"
    return
  fi
  local b
  b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5V | tail -n1 || true)
  [ -n "$b" ] && [ -x "$b/postgres" ] || die "no PostgreSQL found in /usr/lib/postgresql/*/bin (install the Debian package postgresql, or set HERALD_PG_BIN)"
  printf '%s\n' "$b"
}

# as runs a command as the server's user: the caller itself, or a non-root
# account when the caller is root.
runas=""
if [ "$(id -u)" -eq 0 ]; then
  if id postgres >/dev/null 2>&1; then runas=postgres; else runas=nobody; fi
fi
as() {
  if [ -n "$runas" ]; then
    runuser -u "$runas" -- "$@"
  else
    "$@"
  fi
}

running() {
  [ -f "$data/postmaster.pid" ] && [ -f "$urlfile" ] && as "$(bindir)/pg_ctl" -D "$data" status >/dev/null 2>&1
}

# freeport prints a TCP port on 127.0.0.1 that nothing listens on now.
freeport() {
  local p i
  for i in $(seq 1 200); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      printf '%s\n' "$p"
      return
    fi
  done
  die "no free port found"
}

start() {
  if running; then
    cat "$urlfile"
    return
  fi
  local bin port url i
  bin=$(bindir)
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 700 "$dir"
  if [ -n "$runas" ]; then chown "$runas": "$dir"; fi
  say "initdb ($bin) in $data as ${runas:-$(id -un)}"
  as "$bin/initdb" -D "$data" -U herald --auth=trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  local fsync=on
  if [ "${HERALD_PG_FSYNC:-on}" = off ]; then fsync=off; fi
  for i in 1 2 3 4 5; do
    port=$(freeport)
    say "starting on 127.0.0.1:$port (fsync=$fsync)"
    if as "$bin/pg_ctl" -D "$data" -l "$log" -w -t 30 start \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
          -c fsync=$fsync -c synchronous_commit=$fsync -c max_connections=200 \
          -c shared_buffers=128MB" >/dev/null 2>&1 9>&-; then
      break
    fi
    say "start on port $port failed; retrying on another"
    tail -n 5 "$log" >&2 || true
    port=""
  done
  [ -n "$port" ] || die "could not start PostgreSQL (see $log)"
  as "$bin/createdb" -h 127.0.0.1 -p "$port" -U herald herald >&2 || die "createdb failed"
  url="postgres://herald@127.0.0.1:$port/herald?sslmode=disable"
  printf '%s\n' "$url" >"$urlfile"
  printf '%s\n' "$url"
}

stop() {
  if [ -f "$data/postmaster.pid" ]; then
    as "$(bindir)/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || say "pg_ctl stop failed (already stopped?)"
  fi
  rm -rf "$dir"
}

url() {
  running || die "not running (scripts/postgres.sh start)"
  cat "$urlfile"
}

cmd=${1:-}
case "$cmd" in
  start|stop|url)
    mkdir -p "$(dirname "$dir")"
    # One start/stop at a time: concurrent callers wait, then see the result.
    exec 9>"$dir.lock"
    flock 9
    "$cmd"
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
