#!/usr/bin/env bash
# Bounded soak of the support console under attack (issue 10), results in
# BENCHMARKS.md ("## Console under attack").
#
#   bench/soak.sh            # 60 s; SOAK_SECONDS, SOAK_STALLED, SOAK_FLOODERS to change
#
# Starts `vipps-om console --demo` (release build) on a free loopback port,
# then bench/soak.py holds SOAK_STALLED half-sent connections open, floods
# the sign-in form from SOAK_FLOODERS other loopback addresses (wrong
# passwords for the staff member's own name, and 4 KiB unknown names),
# while one member of staff signs in and opens an order page from
# 127.0.0.1. Prints the staff member's latencies and failures and the
# console's peak memory. Loopback only; stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${SOAK_SECONDS:-60}
STALLED=${SOAK_STALLED:-2000}
FLOODERS=${SOAK_FLOODERS:-8}

cargo build --release -q -p vipps-om-cli
BIN=${CARGO_TARGET_DIR:-target}/release/vipps-om
OUT=$(mktemp)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
"$BIN" console --demo --listen 127.0.0.1:0 >"$OUT" 2>/dev/null &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -f "$OUT"' EXIT
for _ in $(seq 1 100); do
  grep -q '^Stop with' "$OUT" && break
  sleep 0.2
done
URL=$(sed -n 's/^Support console: \(http[^ ]*\).*/\1/p' "$OUT")
# "  NAME / PASSWORD  (editor)"
read -r USER PASS < <(sed -n 's/^  \([^ ]*\) \/ \([^ ]*\)  (editor)$/\1 \2/p' "$OUT" | head -n 1)
# "  ORDER_ID (PAYMENT_TYPE): about"
ORDER=$(sed -n 's/^  \([^ ]*\) (\([A-Za-z]*\)): .*/\1:\2/p' "$OUT" | head -n 1)
if [ -z "$URL" ] || [ -z "$USER" ] || [ -z "$ORDER" ]; then
  echo "the console did not start as expected:" >&2
  cat "$OUT" >&2
  exit 1
fi
echo "console $URL (pid $PID), staff $USER, order $ORDER, ${SECONDS_TO_RUN}s, $STALLED stalled, $FLOODERS flooders" >&2
python3 bench/soak.py --url "$URL" --pid "$PID" --user "$USER" --password "$PASS" \
  --order "$ORDER" --duration "$SECONDS_TO_RUN" --stalled "$STALLED" --flooders "$FLOODERS"
