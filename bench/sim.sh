#!/usr/bin/env bash
# Benchmark of the Order Management simulator (issue 4; the targets of
# issue 13), results in BENCHMARKS.md ("## Simulator (issue 4)").
#
#   bench/sim.sh
#
# 1. Memory per stored order: `cargo bench -p vipps-om-sim --bench memory`
#    (100,000 orders with a 3-line receipt, RSS growth per order).
# 2. Throughput and p50/p99 latency with wrk (64 connections, 2 threads)
#    of GET /order-management/v2/ECOM/{orderId} and
#    POST /order-management/v2/ECOM/receipts/{orderId} (every POST a new
#    orderId, so every answer is a 201), against the simulator (release
#    build, `vipps-om sim`, default settings: info logs to a file; only
#    the store budget raised so the POSTs never fill it) and,
#    in the same run, against
#    - for GET, a do-nothing axum server answering with a fixed body: the
#      bytes of the simulator's own GET answer for the stored order
#      (`cargo run --release --example fixed_body -p vipps-om-sim`, tokio's
#      default number of worker threads, as `vipps-om sim`); the script
#      checks that both answer with the same bytes;
#    - for POST, the same do-nothing server reading the whole request body
#      and answering 201 with the simulator's own answer to a receipt
#      (nothing parsed, checked or stored): the ceiling of POST on this
#      machine, so that "POST >= 30x Prism" can be told apart from what
#      the hardware allows;
#    - the Prism mock server (`prism mock -v error`, its fastest setting:
#      the default info logging costs about half its throughput) serving
#      the official spec from ../shared/reference. Prism serves the spec's
#      paths without the server's /order-management base path; otherwise
#      the requests are identical (same headers, same token, same body).
#    The table ends with issue 13's targets: the simulator's GET at
#    >= 70 % of the do-nothing server's throughput, its GET and POST each
#    >= 30x Prism's.
#
# Installs what is missing: wrk (Debian package, apt-get) and
# @stoplight/prism-cli (npm, into target/bench-tools, never committed).
# Without ../shared the Prism side is skipped with a message.
#
# Two simulators run: one as started by default (RUST_LOG=info, one log
# line per request, written to a file here) and one with RUST_LOG=warn,
# to show what the per-request log line costs. All servers run at once
# and take turns: per case each gets a warm-up, then 4 rounds of 5 s in
# rotating order, so that other load on a shared machine falls on all of
# them alike. p50 and p99 are the medians of the rounds' values (the worst
# round's p99 is shown too). Besides wrk's numbers the table has each
# server's CPU time per request (from /proc/PID/stat), which depends less
# on other load than throughput does.
#
# Environment: BENCH_DURATION (measured seconds per server and case,
# default 20), BENCH_ROUNDS (default 4), BENCH_WARMUP (seconds of warm-up
# per server and case, default 3), BENCH_SKIP_MEMORY=1 (skip step 1),
# BENCH_SKIP_QUIET=1 (no RUST_LOG=warn simulator), BENCH_STORE_MIB (the
# simulators' --store-mib, default 2048), BENCH_FIXED_HARDENED=1
# (a second do-nothing server, served by the simulator's own accept loop
# `vipps_om_serve::serve`, to tell the accept loop's cost from the
# handler's), BENCH_BASELINE_BIN=PATH (a third simulator, `PATH sim`,
# default logging, e.g. a copy of target/release/vipps-om built from
# main: an A/B of two builds in the same rounds; its rows are
# "simulator, baseline build"), BENCH_SIM_LOG (the first simulator's
# RUST_LOG, default info).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=${BENCH_DURATION:-20}
WARMUP=${BENCH_WARMUP:-3}
CONNECTIONS=64
THREADS=2
PRISM_VERSION=5.14.2
TOOLS=$ROOT/target/bench-tools
SPEC=$ROOT/../shared/reference/order-management-openapi.yaml
RECEIPT=$ROOT/crates/vipps-om-sim/benches/receipt-3-lines.json
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
MSN=123456
CLIENT_ID=demo-client-id
CLIENT_SECRET=demo-client-secret
SUBSCRIPTION_KEY=demo-subscription-key
# The simulators' store budget (`--store-mib`): a POST case of 30 s stores
# over 400,000 orders, past the default 512 MiB, and the 507s beyond it
# would make the run invalid.
STORE_MIB=${BENCH_STORE_MIB:-2048}

step() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'bench/sim.sh: %s\n' "$*" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vipps-om-bench.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -------------------------------------------------------------

if ! command -v wrk >/dev/null 2>&1; then
  step "installing wrk (apt-get)"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null
  else
    die "wrk is missing and cannot be installed (not root, no sudo): apt-get install wrk"
  fi
fi

PRISM=""
if [ ! -f "$SPEC" ]; then
  echo "bench/sim.sh: $SPEC is absent (no ../shared): the Prism side is skipped" >&2
elif [ -x "$TOOLS/node_modules/.bin/prism" ]; then
  PRISM=$TOOLS/node_modules/.bin/prism
elif command -v npm >/dev/null 2>&1; then
  step "installing @stoplight/prism-cli@$PRISM_VERSION (npm, into target/bench-tools)"
  mkdir -p "$TOOLS"
  npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error \
    "@stoplight/prism-cli@$PRISM_VERSION" >&2
  PRISM=$TOOLS/node_modules/.bin/prism
else
  echo "bench/sim.sh: npm is missing: the Prism side is skipped" >&2
fi

# --- build and memory --------------------------------------------------

step "cargo build --release -p vipps-om-cli"
cargo build --release -p vipps-om-cli >&2
BIN=$TARGET_DIR/release/vipps-om
[ -x "$BIN" ] || die "no binary at $BIN"
step "cargo build --release -p vipps-om-sim --example fixed_body"
cargo build --release -p vipps-om-sim --example fixed_body >&2
FIXED_BIN=$TARGET_DIR/release/examples/fixed_body
[ -x "$FIXED_BIN" ] || die "no binary at $FIXED_BIN"

MEMORY_LINE=""
if [ "${BENCH_SKIP_MEMORY:-0}" != 1 ]; then
  step "cargo bench -p vipps-om-sim --bench memory"
  cargo bench -p vipps-om-sim --bench memory >"$WORK/memory.out"
  cat "$WORK/memory.out" >&2
  MEMORY_LINE=$(grep '^MEMORY_RESULT' "$WORK/memory.out" || true)
  [ -n "$MEMORY_LINE" ] || die "the memory bench printed no MEMORY_RESULT line"
fi

# --- wrk scripts ---------------------------------------------------------

# The result line, parsed below. wrk counts responses with a status >= 400
# itself (summary.errors.status); the response() hook counts every status
# outside 200-299, per thread, summed in done().
cat >"$WORK/common.lua" <<'LUA'
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

non2xx = 0
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "WRK_RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    bad, e.connect + e.read + e.write + e.timeout))
end

wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Ocp-Apim-Subscription-Key"] = os.getenv("BENCH_SUBSCRIPTION_KEY")
wrk.headers["Merchant-Serial-Number"] = os.getenv("BENCH_MSN")
LUA

# GET: the same request every time (wrk builds it once).
cat >"$WORK/get.lua" <<'LUA'
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
wrk.method = "GET"
wrk.path = os.getenv("BENCH_PREFIX") .. "/v2/ECOM/" .. os.getenv("BENCH_ORDER_ID")
LUA

# POST: a new orderId per request: run tag, thread id, per-thread counter.
cat >"$WORK/post.lua" <<'LUA'
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.body = file:read("*a")
file:close()
local base = os.getenv("BENCH_PREFIX") .. "/v2/ECOM/receipts/" .. os.getenv("BENCH_RUN") .. "-"
local counter = 0
local path_prefix

function init(args)
  path_prefix = base .. tostring(tid) .. "-"
end

function request()
  counter = counter + 1
  return wrk.format(nil, path_prefix .. counter)
end
LUA

export BENCH_LUA_DIR=$WORK BENCH_BODY=$RECEIPT BENCH_MSN=$MSN
export BENCH_SUBSCRIPTION_KEY=$SUBSCRIPTION_KEY

# cpu_ticks PID: user + system CPU time of a process, in clock ticks.
cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# wrk_once SERVER CASE SECONDS RUN_TAG OUT: one wrk run against SERVER.
wrk_once() {
  local server=$1 case=$2 seconds=$3 tag=$4 out=$5
  BENCH_PREFIX=${PREFIX[$server]} BENCH_TOKEN=${TOKEN[$server]} BENCH_RUN=$tag \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 10s \
    -s "$WORK/$case.lua" "${URL[$server]}" >"$out" 2>&1 \
    || die "wrk failed against $server ($case): $(cat "$out")"
}

# wait_for_url URL: until it answers at all (any status), at most 60 s.
wait_for_url() {
  for _ in $(seq 1 120); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.5
  done
  return 1
}

declare -A URL PREFIX TOKEN PID
SERVERS=()

# base_url_of NAME WHAT: the base URL that server NAME prints as the first
# line of its output (waits up to 10 s; dies naming WHAT with its log).
base_url_of() {
  local name=$1 what=$2 url=""
  for _ in $(seq 1 100); do
    url=$(head -n 1 "$WORK/$name.out" 2>/dev/null || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || die "$what printed no base URL: $(cat "$WORK/$name.log")"
  printf '%s' "$url"
}

# start_sim NAME RUST_LOG [BINARY]: starts `vipps-om sim` (logs to a
# file), gets a token and stores the order that the GET case reads.
start_sim() {
  local name=$1 log=$2 bin=${3:-$BIN} url="" pid token_json token status
  step "starting the simulator as $name (RUST_LOG=$log, $bin)"
  RUST_LOG=$log "$bin" sim --listen 127.0.0.1:0 --store-mib "$STORE_MIB" >"$WORK/$name.out" 2>"$WORK/$name.log" &
  pid=$!
  PIDS+=("$pid")
  url=$(base_url_of "$name" "the simulator")
  echo "$name at $url" >&2

  token_json=$(curl -s -X POST "$url/accesstoken/get" \
    -H "client_id: $CLIENT_ID" -H "client_secret: $CLIENT_SECRET" \
    -H "Ocp-Apim-Subscription-Key: $SUBSCRIPTION_KEY" -H "Merchant-Serial-Number: $MSN")
  token=$(printf '%s' "$token_json" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  [ -n "$token" ] || die "no token: $token_json"

  status=$(curl -s -o "$WORK/created.json" -w '%{http_code}' -X POST \
    "$url/order-management/v2/ECOM/receipts/$BENCH_ORDER_ID" \
    -H "Authorization: Bearer $token" -H "Ocp-Apim-Subscription-Key: $SUBSCRIPTION_KEY" \
    -H "Merchant-Serial-Number: $MSN" -H "Content-Type: application/json" \
    --data-binary "@$RECEIPT")
  [ "$status" = 201 ] || die "creating the order to GET answered $status: $(cat "$WORK/created.json")"

  URL[$name]=$url PREFIX[$name]=/order-management TOKEN[$name]=$token PID[$name]=$pid
  SERVERS+=("$name")
}

export BENCH_ORDER_ID=bench-get-1
# As started by default (info: one log line per request, here to a file),
# and without the per-request log line, to show what it costs.
start_sim sim "${BENCH_SIM_LOG:-info}"
if [ "${BENCH_SKIP_QUIET:-0}" != 1 ]; then
  start_sim sim-quiet warn
fi
if [ -n "${BENCH_BASELINE_BIN:-}" ]; then
  [ -x "$BENCH_BASELINE_BIN" ] || die "BENCH_BASELINE_BIN=$BENCH_BASELINE_BIN is not an executable"
  start_sim sim-base info "$BENCH_BASELINE_BIN"
fi

# start_fixed NAME MODE: the do-nothing server (fixed_body, MODE axum or
# hardened) answering with the simulator's GET answer, byte for byte.
start_fixed() {
  local name=$1 mode=$2 url="" pid
  step "starting the do-nothing server as $name ($mode)"
  "$FIXED_BIN" "$WORK/order.json" "$mode" "$WORK/created.json" >"$WORK/$name.out" 2>"$WORK/$name.log" &
  pid=$!
  PIDS+=("$pid")
  url=$(base_url_of "$name" "the do-nothing server")
  curl -s -o "$WORK/$name.json" "$url/order-management/v2/ECOM/$BENCH_ORDER_ID"
  cmp -s "$WORK/order.json" "$WORK/$name.json" \
    || die "the do-nothing server ($name) does not answer with the simulator's bytes"
  echo "$name at $url" >&2
  URL[$name]=$url PREFIX[$name]=/order-management TOKEN[$name]=${TOKEN[sim]} PID[$name]=$pid
  SERVERS+=("$name")
}

# The simulator's answer to the GET that wrk sends, for the do-nothing
# server to send as it is.
status=$(curl -s -o "$WORK/order.json" -w '%{http_code}' \
  "${URL[sim]}/order-management/v2/ECOM/$BENCH_ORDER_ID" \
  -H "Authorization: Bearer ${TOKEN[sim]}" -H "Ocp-Apim-Subscription-Key: $SUBSCRIPTION_KEY" \
  -H "Merchant-Serial-Number: $MSN")
[ "$status" = 200 ] || die "the simulator's GET answered $status: $(cat "$WORK/order.json")"
start_fixed fixed axum
if [ "${BENCH_FIXED_HARDENED:-0}" = 1 ]; then
  start_fixed fixed-hardened hardened
fi

if [ -n "$PRISM" ]; then
  PRISM_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 4010)
  step "starting Prism $("$PRISM" --version 2>/dev/null || true) on port $PRISM_PORT"
  "$PRISM" mock -v error -h 127.0.0.1 -p "$PRISM_PORT" "$SPEC" >"$WORK/prism.log" 2>&1 &
  PRISM_PID=$!
  PIDS+=("$PRISM_PID")
  wait_for_url "http://127.0.0.1:$PRISM_PORT/" || die "Prism did not start: $(tail -n 20 "$WORK/prism.log")"
  # Prism does not check the token: the simulator's is sent, as is.
  URL[prism]=http://127.0.0.1:$PRISM_PORT PREFIX[prism]="" TOKEN[prism]=${TOKEN[sim]}
  PID[prism]=$PRISM_PID
  SERVERS+=(prism)
fi

# The servers take turns: per case, a warm-up each, then ROUNDS rounds in
# which each server gets DURATION/ROUNDS seconds, the order rotating every
# round, so that other load on the machine falls on all of them alike.
ROUNDS=${BENCH_ROUNDS:-4}
ROUND_SECONDS=$(( (DURATION + ROUNDS - 1) / ROUNDS ))
: >"$WORK/rounds"
# case_servers CASE: the servers that take CASE (all of them take both).
case_servers() {
  printf '%s\n' "${SERVERS[@]}"
}
for case in get post; do
  mapfile -t CASE_SERVERS < <(case_servers "$case")
  for server in "${CASE_SERVERS[@]}"; do
    step "$server: $case, ${WARMUP}s warm-up"
    wrk_once "$server" "$case" "$WARMUP" "$server-warm-$$" "$WORK/warm.out"
  done
  for round in $(seq 1 "$ROUNDS"); do
    step "$case, round $round of $ROUNDS: ${ROUND_SECONDS}s per server ($CONNECTIONS connections, $THREADS threads)"
    count=${#CASE_SERVERS[@]}
    for i in $(seq 0 $((count - 1))); do
      server=${CASE_SERVERS[$(( (i + round) % count ))]}
      out=$WORK/$server-$case-$round.out
      before=$(cpu_ticks "${PID[$server]}")
      wrk_once "$server" "$case" "$ROUND_SECONDS" "$server-r$round-$$-$(date +%s)" "$out"
      after=$(cpu_ticks "${PID[$server]}")
      line=$(grep '^WRK_RESULT' "$out") || die "wrk printed no WRK_RESULT line: $(cat "$out")"
      echo "$server: ${line#WRK_RESULT }" >&2
      echo "$server $case $round ${line#WRK_RESULT } cpu_ticks=$((after - before))" >>"$WORK/rounds"
    done
  done
done

for server in sim sim-quiet sim-base; do
  [ -n "${URL[$server]:-}" ] || continue
  # The simulator's own count of answers per route and status.
  echo "$server counters: $(curl -s "${URL[$server]}/_sim/counters")" >&2
done
SIM_LOG_LINES=$(wc -l <"$WORK/sim.log")

# --- report --------------------------------------------------------------

# One line per server and case from its rounds: requests/s over all
# rounds, the median of the rounds' p50 and p99, the worst round's p99,
# the largest latency, totals of requests, non-2xx, socket errors, and
# server CPU per request.
TICKS=$(getconf CLK_TCK 2>/dev/null || echo 100)
awk -v hz="$TICKS" '
  function val(name,   i, kv) {
    for (i = 4; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] }
    return 0
  }
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    k = $1 " " $2
    if (!(k in req)) order[++n] = k
    req[k] += val("requests"); sec[k] += val("seconds")
    bad[k] += val("non2xx"); sock[k] += val("socket_errors"); cpu[k] += val("cpu_ticks")
    p50[k] = p50[k] " " val("p50_ms"); p99[k] = p99[k] " " val("p99_ms")
    if (val("p99_ms") + 0 > worst[k] + 0) worst[k] = val("p99_ms")
    if (val("max_ms") + 0 > max[k] + 0) max[k] = val("max_ms")
  }
  END {
    for (i = 1; i <= n; i++) {
      k = order[i]
      printf "%s rps=%.1f p50_ms=%.3f p99_ms=%.3f worst_p99_ms=%.3f max_ms=%.3f requests=%d non2xx=%d socket_errors=%d cpu_us=%.1f\n",
        k, req[k] / sec[k], median(p50[k]), median(p99[k]), worst[k], max[k], req[k], bad[k], sock[k],
        req[k] ? cpu[k] / hz * 1e6 / req[k] : 0
    }
  }' "$WORK/rounds" >"$WORK/results"

field() { # field NAME LINE
  printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
result() { # result SERVER CASE
  grep "^$1 $2 " "$WORK/results" || true
}

echo
echo "Machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, $(uname -sr); load average at the end: $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo "wrk: $CONNECTIONS connections, $THREADS threads, client and servers on the same machine; per server and case ${WARMUP}s warm-up, then $ROUNDS rounds of ${ROUND_SECONDS}s taken in turns; per-request log lines written by the simulator (info): $SIM_LOG_LINES"
echo
echo "| Case | Server | Requests/s | p50 (ms) | p99 (ms) | worst round p99 (ms) | max (ms) | Requests | non-2xx | Socket errors | Server CPU per request (µs) | Throughput vs do-nothing axum | Throughput vs Prism |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
# ratio A B FORMAT: A's requests/s over B's (result lines), or – without B.
ratio() {
  if [ -z "$2" ]; then echo "–"; return; fi
  awk -v a="$(field rps "$1")" -v b="$(field rps "$2")" -v f="$3" \
    'BEGIN { if (b > 0) printf f, (f ~ /%%/ ? 100 : 1) * a / b; else printf "–" }'
}
# target LABEL A B FORMAT MIN: a line of the targets' list.
TARGETS=""
target() {
  local label=$1 a=$2 b=$3 format=$4 min=$5 value verdict
  if [ -z "$a" ] || [ -z "$b" ]; then
    TARGETS+="- $label: not measured"$'\n'
    return
  fi
  value=$(awk -v a="$(field rps "$a")" -v b="$(field rps "$b")" -v f="$format" \
    'BEGIN { printf f, (f ~ /%%/ ? 100 : 1) * a / b }')
  verdict=$(awk -v a="$(field rps "$a")" -v b="$(field rps "$b")" -v m="$min" \
    'BEGIN { print (a >= m * b ? "met" : "NOT met") }')
  TARGETS+="- $label: $value ($verdict)"$'\n'
}
INVALID=0
# shellcheck disable=SC2016 # backquotes are markdown here
for case in get post; do
  case $case in
    get) label='`GET /v2/ECOM/{orderId}`' ;;
    post) label='`POST /v2/ECOM/receipts/{orderId}`' ;;
  esac
  prism=$(result prism "$case")
  fixed=$(result fixed "$case")
  for server in sim sim-quiet sim-base fixed fixed-hardened prism; do
    line=$(result "$server" "$case")
    [ -n "$line" ] || continue
    vs_fixed="–" vs_prism="–"
    case $server in
      sim*) vs_fixed=$(ratio "$line" "$fixed" '%.0f %%') ;;
    esac
    case $server in
      prism) ;;
      *) vs_prism=$(ratio "$line" "$prism" '%.1f×') ;;
    esac
    case $server in
      sim) name='simulator (`RUST_LOG=info`, the default)' ;;
      sim-quiet) name='simulator (`RUST_LOG=warn`: no line per request)' ;;
      sim-base) name='simulator, baseline build (`BENCH_BASELINE_BIN`, `RUST_LOG=info`)' ;;
      fixed) name='do-nothing axum, fixed body (`axum::serve`)' ;;
      fixed-hardened) name='do-nothing axum, fixed body (`vipps_om_serve::serve`)' ;;
      prism) name='Prism (`prism mock -v error`)' ;;
    esac
    case $case-$server in
      post-fixed) name='do-nothing axum, reads the body, fixed reply (`axum::serve`)' ;;
      post-fixed-hardened) name='do-nothing axum, reads the body, fixed reply (`vipps_om_serve::serve`)' ;;
    esac
    if [ "$(field non2xx "$line")" != 0 ] || [ "$(field socket_errors "$line")" != 0 ]; then
      INVALID=1
    fi
    printf '| %s | %s | %.0f | %.2f | %.2f | %.2f | %.1f | %s | %s | %s | %s | %s | %s |\n' \
      "$label" "$name" "$(field rps "$line")" "$(field p50_ms "$line")" "$(field p99_ms "$line")" \
      "$(field worst_p99_ms "$line")" "$(field max_ms "$line")" "$(field requests "$line")" \
      "$(field non2xx "$line")" "$(field socket_errors "$line")" "$(field cpu_us "$line")" "$vs_fixed" "$vs_prism"
  done
done

# Issue 13's targets, for the simulator as started by default.
target "GET, simulator vs do-nothing axum (target >= 70 %)" \
  "$(result sim get)" "$(result fixed get)" '%.0f %%' 0.7
# The same comparison by server CPU per request (requests per CPU-second),
# which the other load on a shared machine disturbs less than throughput.
cpu_target() { # cpu_target LABEL A B MIN
  local label=$1 a=$2 b=$3 min=$4
  if [ -z "$a" ] || [ -z "$b" ]; then
    TARGETS+="- $label: not measured"$'\n'
    return
  fi
  TARGETS+=$(awk -v a="$(field cpu_us "$a")" -v b="$(field cpu_us "$b")" -v m="$min" -v l="$label" \
    'BEGIN { if (a > 0) printf "- %s: %.0f %% (%.1f / %.1f µs, %s)", l, 100 * b / a, b, a, (b >= m * a ? "met" : "NOT met"); else printf "- %s: not measured", l }')$'\n'
}
cpu_target "GET by CPU per request, do-nothing axum / simulator (target >= 70 %)" \
  "$(result sim get)" "$(result fixed get)" 0.7
target "GET, simulator vs Prism -v error (target >= 30×)" \
  "$(result sim get)" "$(result prism get)" '%.1f×' 30
target "POST, simulator vs Prism -v error (target >= 30×)" \
  "$(result sim post)" "$(result prism post)" '%.1f×' 30
# The ceilings: what a server that does nothing but read the request
# reaches against Prism here. Below 30× the target is out of reach on this
# machine for any server.
target "ceiling: GET, do-nothing axum vs Prism -v error (30× possible here?)" \
  "$(result fixed get)" "$(result prism get)" '%.1f×' 30
target "ceiling: POST, do-nothing axum reading the body vs Prism -v error (30× possible here?)" \
  "$(result fixed post)" "$(result prism post)" '%.1f×' 30
cpu_target "POST by CPU per request, do-nothing axum reading the body / simulator" \
  "$(result sim post)" "$(result fixed post)" 0.7
echo
echo "Targets (requests/s, the simulator with its default logging):"
printf '%s' "$TARGETS"

if [ -n "$MEMORY_LINE" ]; then
  echo
  echo "| Memory | Orders | RSS before (MiB) | RSS after (MiB) | Bytes per order | GET answer (bytes) |"
  echo "|---|---:|---:|---:|---:|---:|"
  awk -v b="$(field rss_before "$MEMORY_LINE")" -v a="$(field rss_after "$MEMORY_LINE")" \
    -v n="$(field orders "$MEMORY_LINE")" -v p="$(field bytes_per_order "$MEMORY_LINE")" \
    -v g="$(field get_bytes "$MEMORY_LINE")" \
    'BEGIN { printf "| 3-line receipt, POST receipts | %d | %.1f | %.1f | %d | %d |\n", n, b / 1048576, a / 1048576, p, g }'
fi

if [ "$INVALID" -ne 0 ]; then
  echo
  echo "INVALID: some responses were not 2xx or some requests failed; see above." >&2
  exit 1
fi
