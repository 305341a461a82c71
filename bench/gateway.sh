#!/usr/bin/env bash
# Gateway receipts/s against direct enqueue (issue 16), for BENCHMARKS.md.
#
#   bench/gateway.sh
#
# `cargo bench -p vipps-om-gateway --bench gateway`: N receipts (default
# 2,000, GATEWAY_BENCH_RECEIPTS) with C at once (default 16,
# GATEWAY_BENCH_CONCURRENCY), first with `Outbox::submit` directly (parse,
# validate, one committed transaction each), then as HTTP POSTs to the
# gateway in the same process (token check, parse and validation, the 409
# check, the same committed enqueue), on SQLite and, when DATABASE_URL is
# set or PostgreSQL is installed, on a throwaway PostgreSQL cluster as
# .ci/run starts it. A fresh database per run; rows of the gateway run are
# on their own order ids.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/postgres.sh
if [ -z "${DATABASE_URL:-}" ]; then
  start_postgres
fi
cargo bench -p vipps-om-gateway --bench gateway
