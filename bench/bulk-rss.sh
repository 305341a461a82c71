#!/usr/bin/env bash
# Peak memory of `vipps-om receipt add --bulk` on a big JSONL file
# (issue 10, item 9: a 500 MB file must run in well under 200 MB RSS).
#
#   bench/bulk-rss.sh
#
# Builds the release binary, starts `vipps-om sim` (release, RUST_LOG=warn)
# on a free port (store budget raised to 4 GiB so every receipt fits), writes a JSONL file of BULK_RSS_MB megabytes (default
# 500) of receipts with BULK_RSS_ORDER_LINES order lines each (default 20,
# ~16 KB a line, so ~30,000 receipts for 500 MB), and runs
# `vipps-om receipt add --bulk FILE --concurrency BULK_RSS_CONCURRENCY`
# (default 8) under /usr/bin/time -v. Reports the command's maximum RSS,
# its wall time and receipts per second, the file size, and the
# simulator's peak RSS (it stores every receipt: that memory is the
# simulator's, not the command's). Every receipt must end as sent; the
# script fails otherwise.
#
# BULK_RSS_MODE=conflict makes the simulator answer every receipt with
# 409 (an injected fault) instead of storing it, so a very large file does
# not grow the simulator; the command then counts every line as "already
# there" and does the same local work (read, parse, validate, send).
# BULK_RSS_BIN=PATH uses that binary instead of building the release one.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${BULK_RSS_MB:-500}
ORDER_LINES=${BULK_RSS_ORDER_LINES:-20}
CONCURRENCY=${BULK_RSS_CONCURRENCY:-8}
MODE=${BULK_RSS_MODE:-store}

if [ -n "${BULK_RSS_BIN:-}" ]; then
    BIN=$BULK_RSS_BIN          # e.g. a debug build, to try the script
else
    cargo build --release -q -p vipps-om-cli
    BIN=$PWD/target/release/vipps-om
fi
DIR=$(mktemp -d)
SIM_PID=
cleanup() {
    if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
    rm -rf "$DIR"
}
trap cleanup EXIT

RUST_LOG=warn "$BIN" sim --listen 127.0.0.1:0 --store-mib 4096 >"$DIR/sim.out" 2>"$DIR/sim.log" &
SIM_PID=$!
for _ in $(seq 100); do
    URL=$(head -n1 "$DIR/sim.out" 2>/dev/null || true)
    case "$URL" in http*) break ;; esac
    sleep 0.1
done
case "$URL" in http*) ;; *) echo "the simulator did not start: $(cat "$DIR/sim.log")" >&2; exit 1 ;; esac

echo "writing ${SIZE_MB} MB of receipts (${ORDER_LINES} order lines each) ..." >&2
python3 - "$DIR/big.jsonl" "$SIZE_MB" "$ORDER_LINES" <<'PY'
import json, sys
path, size_mb, n_lines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
target = size_mb * 1000 * 1000
name = "Hand-knitted wool socks, size 40-42, colour " + "x" * 700
with open(path, "w") as f:
    written, i = 0, 0
    while written < target:
        lines = [{
            "name": f"{name} {k}", "id": f"sku-{i}-{k}",
            "totalAmount": 29800, "totalAmountExcludingTax": 23840, "totalTaxAmount": 5960,
            "taxRate": 2500,
            "unitInfo": {"unitPrice": 14900, "quantity": "2", "quantityUnit": "PCS"},
        } for k in range(n_lines)]
        receipt = {"orderLines": lines,
                   "bottomLine": {"currency": "NOK", "receiptNumber": f"r-{i}"}}
        line = json.dumps({"orderId": f"rss-{i:08d}", "paymentType": "ECOM",
                           "receipt": receipt}, separators=(",", ":")) + "\n"
        f.write(line)
        written += len(line)
        i += 1
print(i, file=open(path + ".count", "w"))
PY
RECEIPTS=$(cat "$DIR/big.jsonl.count")
BYTES=$(stat -c %s "$DIR/big.jsonl")

if [ "$MODE" = conflict ]; then
    curl -fsS -X POST "$URL/_sim/faults" -H 'Content-Type: application/json' \
        -d "{\"route\": \"POST /order-management/v2/{paymentType}/receipts/{orderId}\", \"status\": 409, \"count\": $RECEIPTS}" >/dev/null
fi

echo "sending $RECEIPTS receipts ($BYTES bytes) with --concurrency $CONCURRENCY ..." >&2
env -i PATH="$PATH" HOME="$DIR" VIPPS_OM_CONFIG="$DIR/none.toml" \
    VIPPS_CLIENT_ID=demo-client-id VIPPS_CLIENT_SECRET=demo-client-secret \
    VIPPS_SUBSCRIPTION_KEY=demo-subscription-key VIPPS_MERCHANT_SERIAL_NUMBER=123456 \
    /usr/bin/time -v -o "$DIR/time.txt" \
    "$BIN" --base-url "$URL" receipt add --json --concurrency "$CONCURRENCY" --bulk "$DIR/big.jsonl" \
    >"$DIR/out.json"
cat "$DIR/out.json"

RSS_KB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$DIR/time.txt")
WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$DIR/time.txt")
SECONDS_WALL=$(echo "$WALL" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
SIM_HWM_KB=$(awk '/VmHWM/ {print $2}' "/proc/$SIM_PID/status")
python3 - "$DIR/out.json" "$RECEIPTS" "$MODE" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))["summary"]
n, mode = int(sys.argv[2]), sys.argv[3]
done = summary["sent"] if mode == "store" else summary["alreadyThere"]
if summary["total"] != n or done != n or summary["failed"] != 0:
    sys.exit(f"not every receipt went through: {summary}")
PY
echo
echo "| file | receipts | mode | concurrency | vipps-om max RSS | wall time | receipts/s | simulator peak RSS |"
echo "|---:|---:|---|---:|---:|---:|---:|---:|"
awk -v b="$BYTES" -v n="$RECEIPTS" -v m="$MODE" -v c="$CONCURRENCY" -v r="$RSS_KB" -v w="$SECONDS_WALL" -v s="$SIM_HWM_KB" \
    'BEGIN { printf "| %.0f MB | %d | %s | %d | %.1f MB | %.1f s | %.0f | %.0f MB |\n", b/1e6, n, m, c, r/1024, w, n/w, s/1024 }'
