#!/bin/sh
# server.sh: a throwaway PostgreSQL cluster for orgkit's tests (issue 10).
#
#   server.sh start <info_file>   create a cluster in a new temporary directory, start it on a
#                                 Unix socket in that directory (no TCP listener), create the
#                                 database "orgkit", write <info_file>
#   server.sh stop <info_file>    stop the cluster <info_file> names, delete its directory and
#                                 <info_file>; does nothing if there is none
#   server.sh pause <info_file>   stop the server only (pg_ctl stop -m fast): the restart test
#   server.sh resume <info_file>  start it again, on the same directory and socket
#
# Why a script of our own: ctest runs `start` as a FIXTURES_SETUP test and `stop` as its
# FIXTURES_CLEANUP, so `ctest --preset dev` and `ctest -L postgres` need no server set up by
# hand. Run as root, initdb and pg_ctl run as the `postgres` user (PostgreSQL refuses root).
# Every wait is bounded (pg_ctl -t). The server also stops by itself if ctest dies without
# running the cleanup: `start` leaves a watchdog that stops the cluster and removes its
# directory once the process that ran `start` (ctest) is gone; it exits then, or as soon as
# `stop` has removed the directory.
#
# The info file, one key=value a line (tests/support/postgres_support.hpp reads it):
#   conninfo           the superuser's connection string to the database "orgkit"
#   password_conninfo  the role orgkit_pw, which must give a password (scram-sha-256); its
#                      password is "orgkit-test-password" (tests of errors that must not echo it)
#   socket_dir pgdata bindir run_as log
set -eu

cmd=${1:?usage: server.sh start|stop|pause|resume <info_file>}
info=${2:?usage: server.sh start|stop|pause|resume <info_file>}

find_bindir() {
  for d in ${ORGKIT_PG_BINDIR:-} /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return 0; fi
  echo "server.sh: no PostgreSQL server binaries (initdb, pg_ctl); run setup.sh" >&2
  return 1
}

# Runs a server program as the cluster's owner.
as_owner() {
  if [ "$run_as" = "$(id -un)" ]; then "$@"; else runuser -u "$run_as" -- "$@"; fi
}

value() { sed -n "s/^$1=//p" "$info" | head -n 1; }

read_info() {
  socket_dir=$(value socket_dir)
  pgdata=$(value pgdata)
  bindir=$(value bindir)
  run_as=$(value run_as)
  log=$(value log)
}

start() {
  if [ -f "$info" ]; then
    echo "server.sh: stopping the cluster of an earlier run first"
    stop
  fi
  bindir=$(find_bindir)
  if [ "$(id -u)" -eq 0 ]; then run_as=postgres; else run_as=$(id -un); fi
  # Short, so that the socket path stays under the 107 bytes a Unix socket path may have.
  socket_dir=$(mktemp -d /tmp/orgkit-pg.XXXXXX)
  pgdata="$socket_dir/data"
  log="$socket_dir/server.log"
  chmod 700 "$socket_dir"
  [ "$run_as" = "$(id -un)" ] || chown "$run_as" "$socket_dir"
  # Until the info file exists, a failure must not leave a running server or a directory.
  trap 'as_owner "$bindir/pg_ctl" -D "$pgdata" -m immediate -t 30 stop >/dev/null 2>&1 || true; rm -rf "$socket_dir"' EXIT
  as_owner "$bindir/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$socket_dir/initdb.log" 2>&1 || { cat "$socket_dir/initdb.log" >&2; exit 1; }
  # The password role first: for it, trust does not apply.
  cat >"$pgdata/pg_hba.conf" <<EOF
local all orgkit_pw scram-sha-256
local all all trust
EOF
  as_owner "$bindir/pg_ctl" -D "$pgdata" -l "$log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$socket_dir' -c fsync=off -c max_connections=300" \
    start >/dev/null || { cat "$log" >&2; exit 1; }
  as_owner "$bindir/psql" -h "$socket_dir" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE orgkit" \
    -c "CREATE ROLE orgkit_pw LOGIN PASSWORD 'orgkit-test-password'" \
    -c "GRANT CREATE ON DATABASE orgkit TO orgkit_pw" >/dev/null
  mkdir -p "$(dirname "$info")"
  cat >"$info.tmp" <<EOF
conninfo=host=$socket_dir dbname=orgkit user=postgres
password_conninfo=host=$socket_dir dbname=orgkit user=orgkit_pw
socket_dir=$socket_dir
pgdata=$pgdata
bindir=$bindir
run_as=$run_as
log=$log
EOF
  mv "$info.tmp" "$info"
  trap - EXIT
  start_watchdog
  echo "server.sh: PostgreSQL running on socket directory $socket_dir (no TCP)"
}

# Stops the cluster once the process that ran `start` is gone, unless `stop` came first.
start_watchdog() {
  owner_pid=${ORGKIT_PG_OWNER_PID:-$PPID}
  (
    trap '' HUP
    while kill -0 "$owner_pid" 2>/dev/null && [ -d "$pgdata" ]; do sleep 2; done
    if [ -d "$pgdata" ]; then
      as_owner "$bindir/pg_ctl" -D "$pgdata" -m immediate -t 30 stop || true
      rm -rf "$socket_dir" "$info"
    fi
  ) </dev/null >/dev/null 2>&1 &
}

stop() {
  [ -f "$info" ] || { echo "server.sh: no cluster to stop"; return 0; }
  read_info
  if [ -d "$pgdata" ]; then
    as_owner "$bindir/pg_ctl" -D "$pgdata" -m fast -t 60 stop >/dev/null 2>&1 ||
      as_owner "$bindir/pg_ctl" -D "$pgdata" -m immediate -t 30 stop >/dev/null 2>&1 || true
  fi
  case "$socket_dir" in
    /tmp/orgkit-pg.*) rm -rf "$socket_dir" ;;
  esac
  rm -f "$info"
  echo "server.sh: stopped and removed"
}

pause() {
  read_info
  as_owner "$bindir/pg_ctl" -D "$pgdata" -m fast -t 60 stop >/dev/null
}

resume() {
  read_info
  as_owner "$bindir/pg_ctl" -D "$pgdata" -l "$log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$socket_dir' -c fsync=off -c max_connections=300" \
    start >/dev/null
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  pause) pause ;;
  resume) resume ;;
  *) echo "server.sh: unknown command $cmd" >&2; exit 2 ;;
esac
