#!/usr/bin/env bash
# Sourced by .ci/run and bench/outbox.sh: start_postgres starts a throwaway
# PostgreSQL cluster (initdb in a temp dir, a free port on 127.0.0.1, trust
# auth, database vipps_om_test), exports DATABASE_URL for it, and stops and
# removes it when the shell exits. With CI=true it installs Debian's
# `postgresql` package first when it is missing; elsewhere it says so and
# returns, and the PostgreSQL tests skip with a message.
# As root the server runs as the `postgres` user (it refuses root).

command -v step >/dev/null 2>&1 || step() { printf '\n==> %s\n' "$*"; }

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

start_postgres() {
  local bindir dir port run=()
  bindir="$(pg_bindir)"
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    if [ "${CI:-}" != "true" ]; then
      echo "PostgreSQL is not installed: the PostgreSQL outbox tests will skip (apt-get install postgresql)"
      return 0
    fi
    step "apt-get install -y postgresql"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bindir="$(pg_bindir)"
  fi
  dir="$(mktemp -d "${TMPDIR:-/tmp}/vipps-om-pg.XXXXXX")"
  PG_DIR="$dir"
  PG_BIN="$bindir"
  if [ "$(id -u)" -eq 0 ]; then
    # The server refuses to run as root.
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$dir"
    run=(runuser -u postgres --)
  fi
  PG_RUN=("${run[@]}")
  port=54329
  while (: >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  step "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
  "${run[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U postgres --no-sync >/dev/null
  trap stop_postgres EXIT
  "${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  "${run[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres vipps_om_test
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/vipps_om_test"
}

stop_postgres() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
    "${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
