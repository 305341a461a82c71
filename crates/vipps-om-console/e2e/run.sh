#!/usr/bin/env bash
# Browser test of the support console: headless Chromium (Debian's
# `chromium`) driven by npm `playwright-core`, against `vipps-om console
# --demo`. With CI=true, installs Chromium, Node.js and the npm package when
# they are missing; elsewhere it skips with a message when Chromium or Node.js
# is missing. Screenshots: target/e2e-screenshots/.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../../.. && pwd)"
chromium="${CHROMIUM:-/usr/bin/chromium}"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
[ -x "$chromium" ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${CI:-}" != "true" ]; then
    echo "console e2e: skipped, ${missing[*]} not installed (apt-get install ${missing[*]})"
    exit 0
  fi
  echo "console e2e: apt-get install -y ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "${CI:-}" = "true" ] || [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
(cd "$root" && cargo build -q -p vipps-om-cli)
export CHROMIUM="$chromium" VIPPS_OM_BIN="${VIPPS_OM_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/vipps-om}"
# The binary was just built: not finding it is a failure here, not a skip.
if [ ! -x "$VIPPS_OM_BIN" ]; then
  echo "e2e: no vipps-om binary at $VIPPS_OM_BIN after the build" >&2
  exit 1
fi
node --test --test-concurrency=1 console.test.mjs
