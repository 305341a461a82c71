#!/usr/bin/env bash
# The pip and npm packages as a shop gets them (issue 18): builds the wheel
# and the npm tarballs for this machine (release/build.sh), installs each
# into a fresh virtual environment / a fresh npm project, runs
# `vipps-om demo` from there, then the shop tests with the test helpers:
#   - Python: packaging/shop-tests/python (pytest + requests from PyPI, the
#     vipps_om_sim fixture) and the package's own tests
#     (packaging/python/tests: scopes, pytest-xdist, error messages);
#   - Node: packaging/shop-tests/node and packaging/npm/test (node --test,
#     `vipps-om/testing`);
#   - PHP: packaging/shop-tests/php/shop.php under the shell helper
#     packaging/shell/with-vipps-om-sim.
#
# The binary: the release profile when target/release/vipps-om is already
# there (an earlier step built it), else the dev profile that `cargo test`
# built; either way no second build of the other profile.
# PACKAGES_PROFILE=release|dev chooses.
#
# Usage: .ci/packages-shops.sh          (builds the packages, then tests them)
#        .ci/packages-shops.sh DIST     (tests packages release/build.sh already
#                                        wrote to DIST, e.g. target/packages)
#
# Needs python3 with venv, node with npm, php-cli; CI (CI=true) installs
# the missing ones from Debian, elsewhere this skips with a message.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# Pinned test dependencies from PyPI.
PYTEST_VERSION="9.2.0"
PYTEST_XDIST_VERSION="3.8.0"
REQUESTS_VERSION="2.34.2"

TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_TARGET_DIR="$TARGET"
WORK="$TARGET/packages-shops"

missing=()
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v php >/dev/null 2>&1 || missing+=(php-cli)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${CI:-}" = "true" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "SKIPPED packages-shops: needs ${missing[*]} (Debian: apt-get install ${missing[*]})"
    exit 0
  fi
fi

rm -rf "$WORK"
mkdir -p "$WORK"
if [ "$#" -gt 0 ]; then
  dist=$(cd "$1" && pwd)
  echo "--> testing the packages in $dist"
else
  profile="${PACKAGES_PROFILE:-}"
  if [ -z "$profile" ]; then
    if [ -x "$TARGET/release/vipps-om" ]; then profile=release; else profile=dev; fi
  fi
  echo "--> building the packages ($profile profile)"
  dist="$WORK/dist"
  release/build.sh --profile "$profile" --out "$dist" --allow-dirty
fi
one() {
  local found=("$@")
  if [ "${#found[@]}" -ne 1 ] || [ ! -f "${found[0]}" ]; then
    echo "packages-shops: expected one file, found: ${found[*]}" >&2
    exit 1
  fi
  echo "${found[0]}"
}
wheel=$(one "$dist"/python/*.whl)
npm_main=$(one "$dist"/npm/vipps-om-[0-9]*.tgz)
npm_platform=$(one "$dist"/npm/vipps-om-cli-*.tgz)

echo "--> Python: a fresh virtual environment with the wheel"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check \
  "$wheel" "pytest==$PYTEST_VERSION" "pytest-xdist==$PYTEST_XDIST_VERSION" "requests==$REQUESTS_VERSION"
mkdir -p "$WORK/python-shop"
cp packaging/shop-tests/python/*.py "$WORK/python-shop/"
# The README's examples run as written (copy-paste ready).
python3 .ci/readme_snippet.py README.md "### Python" python >"$WORK/python-shop/test_readme.py"
(cd "$WORK/python-shop" && "$WORK/venv/bin/vipps-om" demo >demo.out)
echo "vipps-om demo from the virtual environment: ok ($(wc -l <"$WORK/python-shop/demo.out") lines)"
(cd "$WORK/python-shop" && "$WORK/venv/bin/python" -m pytest -p no:cacheprovider -q \
  test_shop.py test_readme.py "$ROOT/packaging/python/tests")

echo "--> Node: a fresh npm project with the tarballs"
mkdir -p "$WORK/node-shop"
cat >"$WORK/node-shop/package.json" <<'JSON'
{ "name": "node-shop", "private": true, "type": "module" }
JSON
# Offline: everything comes from the two tarballs (the other platforms'
# optional packages are skipped, as npm does for a platform that isn't this one).
(cd "$WORK/node-shop" && npm install --offline --no-audit --no-fund --loglevel=error "$npm_platform" "$npm_main")
cp packaging/shop-tests/node/*.mjs packaging/npm/test/package.test.mjs "$WORK/node-shop/"
python3 .ci/readme_snippet.py README.md "### Node.js" js >"$WORK/node-shop/readme.test.mjs"
(cd "$WORK/node-shop" && npx --no-install vipps-om demo >demo.out)
echo "npx vipps-om demo from the npm project: ok ($(wc -l <"$WORK/node-shop/demo.out") lines)"
(cd "$WORK/node-shop" && node --test shop.test.mjs readme.test.mjs package.test.mjs)

echo "--> PHP: shop.php under with-vipps-om-sim (vipps-om from the virtual environment)"
PATH="$WORK/venv/bin:$PATH" packaging/shell/with-vipps-om-sim php packaging/shop-tests/php/shop.php
mkdir -p "$WORK/php-shop/tests"
cp packaging/shell/with-vipps-om-sim "$WORK/php-shop/"
python3 .ci/readme_snippet.py README.md "### PHP, and any other language: the shell helper" php >"$WORK/php-shop/tests/receipt.php"
(cd "$WORK/php-shop" && PATH="$WORK/venv/bin:$PATH" ./with-vipps-om-sim php tests/receipt.php)
