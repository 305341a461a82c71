#!/usr/bin/env bash
# The outbox at platform scale (issue 15), results in BENCHMARKS.md.
#
#   bench/platform.sh
#
# Loopback only, bounded (every wait has a limit). Builds the release CLI
# and `cargo bench -p vipps-om-outbox --bench platform --no-run` (the
# driver and worker processes: benches/platform.rs), starts PostgreSQL
# (DATABASE_URL when set, otherwise a throwaway cluster like .ci/run) and
# `vipps-om sim` (release) with a merchants file of PLATFORM_MERCHANTS
# merchants (300001, 300002, ...) linked to one partner, `bench-partner`:
# each worker process delivers with the partner keys (one token, one
# connection pool), for whichever merchant a job names.
#
# Runs, each on a fresh database, PLATFORM_PROCESSES worker processes of
# PLATFORM_CONCURRENCY deliveries each (scope: every merchant), the
# receipts enqueued with enqueue_many while the workers are idle:
#   1. no added latency, every merchant healthy;
#   2. 20 ms added to every simulator call (an injected delay fault);
#   3. as 2, with merchant 300001 answering 503 to every call and 300002
#      answering 429 (Retry-After 1) to every call;
# then idle pickup (enqueue in one process, a worker in another) on
# PostgreSQL and on SQLite, PLATFORM_PICKUPS samples each.
# Each run prints one JSON line (throughput, enqueue→delivered p50/p99 of
# the healthy merchants' receipts by the database clock, enqueue_many
# jobs/s, the CPU time of the worker processes, the simulator and the
# PostgreSQL server (when this script started it), and the load average).
#
# Environment: PLATFORM_MERCHANTS (1000), PLATFORM_RECEIPTS (20000),
# PLATFORM_PROCESSES (4), PLATFORM_CONCURRENCY (64), PLATFORM_PICKUPS (100),
# PLATFORM_STEPS (which runs, "1 2 3 4"), PLATFORM_DRIVER (a driver built
# earlier, e.g. of another commit, instead of building one).
set -euo pipefail
cd "$(dirname "$0")/.."
MERCHANTS=${PLATFORM_MERCHANTS:-1000}
RECEIPTS=${PLATFORM_RECEIPTS:-20000}
PROCESSES=${PLATFORM_PROCESSES:-4}
CONCURRENCY=${PLATFORM_CONCURRENCY:-64}
PICKUPS=${PLATFORM_PICKUPS:-100}
STEPS=" ${PLATFORM_STEPS:-1 2 3 4} "
export PGOPTIONS="--client-min-messages=warning"

source .ci/postgres.sh
STARTED_PG=
if [ -z "${DATABASE_URL:-}" ]; then
  start_postgres
  STARTED_PG=1
fi
if [ -z "${DATABASE_URL:-}" ]; then
  echo "bench/platform.sh needs PostgreSQL (install it, or set DATABASE_URL)" >&2
  exit 1
fi

step "building (release)"
cargo build --release -q -p vipps-om-cli
BIN=$PWD/target/release/vipps-om
DRIVER=${PLATFORM_DRIVER:-}
[ -n "$DRIVER" ] || DRIVER=$(cargo bench -q -p vipps-om-outbox --bench platform --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="platform" and m.get("executable"):
        print(m["executable"])' | tail -n1)
[ -x "$DRIVER" ] || { echo "the bench driver was not built" >&2; exit 1; }

DIR=$(mktemp -d)
SIM_PID=
cleanup() {
  if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
  rm -rf "$DIR"
  if [ -n "$STARTED_PG" ]; then stop_postgres 2>/dev/null || true; fi
}
trap cleanup EXIT

python3 - "$DIR/merchants.toml" "$MERCHANTS" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write('[[partner]]\nname = "bench-partner"\nclient_id = "bench-partner-client"\n'
            'client_secret = "bench-partner-secret"\nsubscription_key = "bench-partner-key"\n')
    f.write("merchants = [" + ", ".join(f'"{300001 + i}"' for i in range(n)) + "]\n")
PY
# The server's CPU time is reported when this script started it.
if [ -z "${PLATFORM_PG_PID:-}" ] && [ -n "$STARTED_PG" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
  export PLATFORM_PG_PID=$(head -n1 "$PG_DIR/data/postmaster.pid")
fi

start_sim() {
  RUST_LOG=error "$BIN" sim --listen 127.0.0.1:0 --merchants "$DIR/merchants.toml" --store-mib 2048 \
    >"$DIR/sim.out" 2>"$DIR/sim.log" &
  SIM_PID=$!
  export PLATFORM_SIM_PID=$SIM_PID
  SIM=
  for _ in $(seq 200); do
    SIM=$(head -n1 "$DIR/sim.out" 2>/dev/null || true)
    case "$SIM" in http*) break ;; esac
    sleep 0.1
  done
  case "$SIM" in http*) ;; *) echo "the simulator did not start: $(cat "$DIR/sim.log")" >&2; exit 1 ;; esac
}
stop_sim() { kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=; }
fault() { curl -fsS -X POST -H 'content-type: application/json' -d "$1" "$SIM/_sim/faults" >/dev/null; }

if [[ $STEPS == *" 1 "* ]]; then
step "1. $MERCHANTS merchants, $RECEIPTS receipts, $PROCESSES×$CONCURRENCY workers, no added latency"
start_sim
timeout 900 "$DRIVER" run "$DATABASE_URL" "$SIM" "$MERCHANTS" "$RECEIPTS" "$PROCESSES" "$CONCURRENCY" fast
stop_sim
fi

if [[ $STEPS == *" 2 "* ]]; then
step "2. the same with 20 ms added to every call"
start_sim
fault '{"route": "*", "delayMs": 20, "count": 4000000000}'
timeout 900 "$DRIVER" run "$DATABASE_URL" "$SIM" "$MERCHANTS" "$RECEIPTS" "$PROCESSES" "$CONCURRENCY" slow
stop_sim
fi

if [[ $STEPS == *" 3 "* ]]; then
step "3. 20 ms added, merchant 300001 answers 503 and 300002 answers 429 to everything"
start_sim
fault '{"route": "*", "status": 503, "msn": "300001", "count": 4000000000}'
fault '{"route": "*", "status": 429, "retryAfter": 1, "msn": "300002", "count": 4000000000}'
fault '{"route": "*", "delayMs": 20, "count": 4000000000}'
timeout 900 "$DRIVER" run "$DATABASE_URL" "$SIM" "$MERCHANTS" "$RECEIPTS" "$PROCESSES" "$CONCURRENCY" failing 300001 300002
stop_sim
fi

if [[ $STEPS == *" 4 "* ]]; then
step "4. idle pickup across processes: PostgreSQL (LISTEN/NOTIFY), SQLite (poll 200 ms)"
start_sim
PICK_DB=${DATABASE_URL%/*}/platform_pickup_$$
psql -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS platform_pickup_$$" -c "CREATE DATABASE platform_pickup_$$"
timeout 900 "$DRIVER" pickup "$PICK_DB" "$SIM" "$PICKUPS"
psql -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS platform_pickup_$$ WITH (FORCE)"
timeout 900 "$DRIVER" pickup "sqlite://$DIR/pickup.db?mode=rwc" "$SIM" "$PICKUPS"
stop_sim
fi
