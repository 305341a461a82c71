#!/usr/bin/env bash
# Sourced by .ci/run, .ci/enqueue-examples.sh and bench/outbox.sh:
# start_mysql starts a throwaway MariaDB server (mariadb-install-db in a
# temp dir, its own socket, a free port on 127.0.0.1, a database
# vipps_om_test and a user `vipps` allowed to create the per-test
# databases), exports MYSQL_URL for it, and stops and removes it when the
# shell exits (stop_mysql). With CI=true it installs Debian's
# `mariadb-server` package first when it is missing; elsewhere it says so
# and returns, and the MySQL tests skip with a message.
# As root the server runs as the `mysql` user (it refuses root).

command -v step >/dev/null 2>&1 || step() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

mysql_server_bin() { command -v mariadbd 2>/dev/null || ls /usr/sbin/mariadbd 2>/dev/null || command -v mysqld 2>/dev/null; }

start_mysql() {
  local server dir port run=() user
  server="$(mysql_server_bin)"
  if [ -z "$server" ] || ! command -v mariadb-install-db >/dev/null 2>&1; then
    if [ "${CI:-}" != "true" ]; then
      echo "MariaDB is not installed: the MySQL outbox tests will skip (apt-get install mariadb-server)"
      return 0
    fi
    step "apt-get install -y mariadb-server"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
    server="$(mysql_server_bin)"
  fi
  dir="$(mktemp -d "${TMPDIR:-/tmp}/vipps-om-mysql.XXXXXX")"
  MYSQL_DIR="$dir"
  user="$(id -un)"
  if [ "$(id -u)" -eq 0 ]; then
    # The server refuses to run as root.
    id mysql >/dev/null 2>&1 || useradd --system --no-create-home mysql
    chown mysql "$dir"
    run=(runuser -u mysql --)
    user=mysql
  fi
  port=33069
  while (: >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  step "MariaDB $("$server" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
  "${run[@]}" mariadb-install-db --no-defaults --datadir="$dir/data" --user="$user" \
    --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 || {
    cat "$dir/install.log" >&2
    return 1
  }
  trap stop_mysql EXIT
  "${run[@]}" "$server" --no-defaults --datadir="$dir/data" --socket="$dir/mysql.sock" \
    --pid-file="$dir/mysql.pid" --log-error="$dir/server.log" --port="$port" \
    --bind-address=127.0.0.1 --skip-log-bin --max-connections=300 \
    --innodb-buffer-pool-size=128M >/dev/null 2>&1 &
  MYSQL_PID=$!
  local i
  for i in $(seq 1 100); do
    [ -S "$dir/mysql.sock" ] && mariadb --no-defaults --socket="$dir/mysql.sock" -u root -e 'SELECT 1' >/dev/null 2>&1 && break
    if ! kill -0 "$MYSQL_PID" 2>/dev/null; then
      cat "$dir/server.log" >&2
      return 1
    fi
    sleep 0.2
  done
  mariadb --no-defaults --socket="$dir/mysql.sock" -u root <<'SQL'
CREATE DATABASE vipps_om_test CHARACTER SET utf8mb4;
CREATE USER 'vipps'@'127.0.0.1' IDENTIFIED BY 'vipps';
GRANT ALL PRIVILEGES ON *.* TO 'vipps'@'127.0.0.1';
SQL
  export MYSQL_URL="mysql://vipps:vipps@127.0.0.1:$port/vipps_om_test"
}

stop_mysql() {
  if [ -n "${MYSQL_PID:-}" ] && kill -0 "$MYSQL_PID" 2>/dev/null; then
    kill "$MYSQL_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do kill -0 "$MYSQL_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  if [ -n "${MYSQL_DIR:-}" ] && [ -d "$MYSQL_DIR" ]; then
    rm -rf "$MYSQL_DIR"
  fi
}
