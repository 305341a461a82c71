#!/usr/bin/env bash
# Benchmark of the outbox (issue 6), results in BENCHMARKS.md
# ("## Outbox (issue 6)").
#
#   bench/outbox.sh
#
# 1. `cargo bench -p vipps-om-outbox --bench outbox`: enqueue rate (one
#    commit per job, and one transaction for 5,000), delivered receipts
#    per second with 1 and 4 worker tasks (simulator and workers in one
#    process), and the latency `enqueue_in` adds to a caller's
#    transaction; SQLite, PostgreSQL and MySQL (MariaDB here).
# 2. The real command: `vipps-om sim` (release build) in its own process,
#    5,000 receipts queued with `vipps-om outbox enqueue --bulk`, then
#    `vipps-om outbox run --drain` in P processes of W worker tasks each,
#    timed until all are delivered: SQLite 1×1 and 1×4, PostgreSQL and
#    MySQL 1×1, 1×4, 4×1 and 4×4.
#
# PostgreSQL: DATABASE_URL when it is set (the role must be allowed to
# create databases; psql is needed), otherwise a throwaway cluster started
# like .ci/run does (PostgreSQL must be installed; without it only the
# SQLite rows are measured). MySQL: MYSQL_URL when it is set (the user must
# be allowed to create databases; the `mariadb` client is needed), otherwise
# a throwaway MariaDB started like .ci/run does. Environment:
# OUTBOX_BENCH_JOBS (default 5000).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${OUTBOX_BENCH_JOBS:-5000}
export PGOPTIONS="--client-min-messages=warning"
export OUTBOX_BENCH_JOBS=$JOBS

source .ci/postgres.sh
if [ -z "${DATABASE_URL:-}" ]; then
  start_postgres
fi
HAVE_PG=0
if [ -n "${DATABASE_URL:-}" ] && command -v psql >/dev/null 2>&1; then
  HAVE_PG=1
fi
source .ci/mysql.sh
if [ -z "${MYSQL_URL:-}" ]; then
  start_mysql
fi
trap 'stop_postgres; stop_mysql' EXIT
HAVE_MYSQL=0
if [ -n "${MYSQL_URL:-}" ] && command -v mariadb >/dev/null 2>&1; then
  HAVE_MYSQL=1
fi

# mysql_admin SQL: runs SQL as MYSQL_URL's user (mysql://USER:PASSWORD@HOST:PORT/DB).
mysql_admin() {
  local rest=${MYSQL_URL#*://} cred host
  cred=${rest%%@*}
  host=${rest#*@}
  host=${host%%/*}
  MYSQL_PWD=${cred#*:} mariadb --no-defaults --protocol=tcp -h "${host%:*}" -P "${host##*:}" \
    -u "${cred%%:*}" -e "$1"
}

step "1. cargo bench -p vipps-om-outbox --features mysql --bench outbox"
cargo bench -p vipps-om-outbox --features mysql --bench outbox

step "2. vipps-om outbox run processes against vipps-om sim (release build)"
cargo build --release -p vipps-om-cli
BIN=$ROOT/target/release/vipps-om
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vipps-om-outbox-bench.XXXXXX")
SIM_PID=
cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
  rm -rf "$WORK"
  stop_postgres
  stop_mysql
}
trap cleanup EXIT

"$BIN" sim --listen 127.0.0.1:0 >"$WORK/sim.out" 2>"$WORK/sim.log" &
SIM_PID=$!
for _ in $(seq 100); do
  [ -s "$WORK/sim.out" ] && break
  sleep 0.1
done
export VIPPS_BASE_URL
VIPPS_BASE_URL=$(head -n 1 "$WORK/sim.out")
export VIPPS_CLIENT_ID=demo-client-id VIPPS_CLIENT_SECRET=demo-client-secret \
  VIPPS_SUBSCRIPTION_KEY=demo-subscription-key VIPPS_MERCHANT_SERIAL_NUMBER=123456
RECEIPT='{"orderLines":[{"name":"Wool socks","id":"sku-1","totalAmount":29800,"totalAmountExcludingTax":23840,"totalTaxAmount":5960,"taxRate":2500,"unitInfo":{"unitPrice":14900,"quantity":"2"}}],"bottomLine":{"currency":"NOK","receiptNumber":"1"}}'

now() { date +%s.%N; }

# run_case BACKEND PROCESSES WORKERS
run_case() {
  local backend=$1 processes=$2 workers=$3 name url started queued ended pids=()
  name="b_${backend}_${processes}x${workers}_$$"
  if [ "$backend" = sqlite ]; then
    url="sqlite://$WORK/$name.db?mode=rwc"
  elif [ "$backend" = mysql ]; then
    mysql_admin "DROP DATABASE IF EXISTS $name; CREATE DATABASE $name CHARACTER SET utf8mb4"
    url="${MYSQL_URL%/*}/$name"
  else
    psql -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
    url="${DATABASE_URL%/*}/$name"
  fi
  for i in $(seq 0 $((JOBS - 1))); do
    printf '{"orderId":"%s-%d","paymentType":"ECOM","receipt":%s}\n' "$name" "$i" "$RECEIPT"
  done >"$WORK/$name.jsonl"
  started=$(now)
  VIPPS_OM_DATABASE_URL=$url "$BIN" outbox enqueue --bulk "$WORK/$name.jsonl" >/dev/null
  queued=$(now)
  for _ in $(seq "$processes"); do
    VIPPS_OM_DATABASE_URL=$url "$BIN" outbox run --drain --workers "$workers" --poll-ms 10 \
      >/dev/null 2>>"$WORK/workers.log" &
    pids+=($!)
  done
  wait "${pids[@]}"
  ended=$(now)
  local delivered
  delivered=$(VIPPS_OM_DATABASE_URL=$url "$BIN" --json outbox status |
    sed -n 's/.*"delivered":\([0-9]*\).*/\1/p')
  if [ "$delivered" != "$JOBS" ]; then
    echo "only $delivered of $JOBS delivered ($backend ${processes}x$workers)" >&2
    exit 1
  fi
  awk -v b="$backend" -v p="$processes" -v w="$workers" -v n="$JOBS" \
    -v s="$started" -v q="$queued" -v e="$ended" \
    'BEGIN { printf "| %s | %d × %d | %.2f s (%.0f jobs/s) | %.1f s | %.0f receipts/s |\n", b, p, w, q - s, n / (q - s), e - q, n / (e - q) }'
  if [ "$backend" = postgres ]; then
    psql -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $name" >/dev/null
  elif [ "$backend" = mysql ]; then
    mysql_admin "DROP DATABASE IF EXISTS $name"
  fi
}

echo
echo "| Backend | Processes × worker tasks | \`enqueue --bulk\` of $JOBS | Drained in | Delivered |"
echo "|---|---|---|---|---|"
run_case sqlite 1 1
run_case sqlite 1 4
if [ "$HAVE_PG" = 1 ]; then
  run_case postgres 1 1
  run_case postgres 1 4
  run_case postgres 4 1
  run_case postgres 4 4
else
  echo "(PostgreSQL rows skipped: no DATABASE_URL or no psql)"
fi
if [ "$HAVE_MYSQL" = 1 ]; then
  run_case mysql 1 1
  run_case mysql 1 4
  run_case mysql 4 1
  run_case mysql 4 4
else
  echo "(MySQL rows skipped: no MYSQL_URL or no mariadb client)"
fi
