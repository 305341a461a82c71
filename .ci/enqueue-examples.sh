#!/usr/bin/env bash
# The enqueue contract's worked examples (examples/enqueue) against real
# databases: each example inserts an order row and its receipt job with
# plain SQL in one transaction, `vipps-om outbox run --drain` delivers it
# to a local simulator, and the simulator's request log must show that
# receipt stored exactly once.
#
#   PHP + PDO        -> MySQL/MariaDB (MYSQL_URL)
#   Node.js mysql2   -> MySQL/MariaDB (MYSQL_URL)
#   Node.js pg       -> PostgreSQL (DATABASE_URL)
#   Python psycopg   -> PostgreSQL (DATABASE_URL)
#   Python sqlite3   -> a SQLite file
#
# Drivers: php-cli and php-mysql from Debian (installed when CI=true),
# `pg` and `mysql2` from npm (examples/enqueue/node/package-lock.json),
# psycopg from PyPI into a venv under target/. Databases: the URLs given,
# else throwaway servers (.ci/postgres.sh, .ci/mysql.sh). Outside CI a
# missing tool skips its examples with a SKIPPED line.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v step >/dev/null 2>&1 || step() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build -q -p vipps-om-cli
BIN="$CARGO_TARGET_DIR/debug/vipps-om"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vipps-om-enqueue.XXXXXX")"
failures=0

# --- tools
if ! php -m 2>/dev/null | grep -qi '^pdo_mysql$' && [ "${CI:-}" = "true" ]; then
  step "apt-get install -y php-cli php-mysql"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-cli php-mysql >/dev/null
fi
have_php=false; php -m 2>/dev/null | grep -qi '^pdo_mysql$' && have_php=true
have_node=false
if command -v npm >/dev/null 2>&1; then
  step "npm ci (examples/enqueue/node: pg, mysql2)"
  (cd examples/enqueue/node && npm ci --no-audit --no-fund --silent) && have_node=true
fi
have_python=false
VENV="$CARGO_TARGET_DIR/enqueue-venv"
if command -v python3 >/dev/null 2>&1; then
  step "psycopg from PyPI into $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r examples/enqueue/python/requirements.txt && have_python=true
fi

# --- databases
source .ci/postgres.sh
source .ci/mysql.sh
[ -n "${DATABASE_URL:-}" ] || start_postgres
[ -n "${MYSQL_URL:-}" ] || start_mysql

# --- the simulator
"$BIN" sim --listen 127.0.0.1:0 >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM_PID=$!
cleanup() {
  kill "$SIM_PID" 2>/dev/null || true
  rm -rf "$WORK"
  stop_postgres
  stop_mysql
}
trap cleanup EXIT
for _ in $(seq 1 100); do [ -s "$WORK/sim.out" ] && break; sleep 0.1; done
SIM_URL="$(head -n 1 "$WORK/sim.out")"
export VIPPS_BASE_URL="$SIM_URL" VIPPS_CLIENT_ID=demo-client-id VIPPS_CLIENT_SECRET=demo-client-secret \
  VIPPS_SUBSCRIPTION_KEY=demo-subscription-key VIPPS_MERCHANT_SERIAL_NUMBER=123456
unset VIPPS_OM_DATABASE_URL

# How many times the simulator stored a receipt for this order (201s on
# its receipt path), from its request log.
receipts_stored() {
  python3 - "$SIM_URL" "$1" <<'PY'
import json, sys, urllib.request
base, order = sys.argv[1], sys.argv[2]
log = json.load(urllib.request.urlopen(base + "/_sim/requests"))["requests"]
print(sum(1 for r in log if r["method"] == "POST" and r["path"].endswith("/receipts/" + order) and r["status"] == 201))
PY
}

# run_example NAME DATABASE_URL COMMAND...: the command gets the orderId as
# its last argument.
run_example() {
  local name="$1" url="$2" order
  shift 2
  order="$name-$$-$RANDOM"
  step "enqueue example: $name"
  # The outbox creates its tables when it first connects.
  "$BIN" outbox status --database-url "$url" >/dev/null
  if ! "$@" "$order"; then
    echo "FAILED $name: the example did not run" >&2
    failures=$((failures + 1))
    return
  fi
  "$BIN" outbox run --drain --database-url "$url"
  local stored
  stored="$(receipts_stored "$order")"
  if [ "$stored" = "1" ]; then
    echo "ok $name: the receipt of $order was stored once"
  else
    echo "FAILED $name: the receipt of $order was stored $stored times (expected once)" >&2
    failures=$((failures + 1))
  fi
}

skip() { echo "SKIPPED enqueue example $1: $2"; }

if [ -z "${MYSQL_URL:-}" ]; then
  skip "PHP and Node mysql2" "no MySQL (install mariadb-server)"
else
  if $have_php; then run_example php-pdo-mysql "$MYSQL_URL" php examples/enqueue/php/enqueue.php
  else skip php-pdo-mysql "php-cli with pdo_mysql is not installed (apt-get install php-cli php-mysql)"; fi
  if $have_node; then run_example node-mysql2 "$MYSQL_URL" node examples/enqueue/node/enqueue.mjs mysql
  else skip node-mysql2 "npm is not installed"; fi
fi
if [ -z "${DATABASE_URL:-}" ]; then
  skip "Node pg and Python psycopg" "no PostgreSQL (install postgresql)"
else
  if $have_node; then run_example node-pg "$DATABASE_URL" node examples/enqueue/node/enqueue.mjs pg
  else skip node-pg "npm is not installed"; fi
  if $have_python; then run_example python-psycopg "$DATABASE_URL" "$VENV/bin/python" examples/enqueue/python/enqueue.py postgres
  else skip python-psycopg "python3 with venv is not installed"; fi
fi
if $have_python; then
  export OUTBOX_SQLITE="$WORK/outbox.db"
  run_example python-sqlite3 "sqlite://$OUTBOX_SQLITE?mode=rwc" "$VENV/bin/python" examples/enqueue/python/enqueue.py sqlite
else
  skip python-sqlite3 "python3 is not installed"
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures enqueue example(s) failed" >&2
  exit 1
fi
