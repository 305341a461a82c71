#!/usr/bin/env bash
# Builds the `vipps-om` packages for this machine's platform from a clean
# tree: the Python wheel (maturin, binary mode: the command in the virtual
# environment, plus the pytest plugin) and the npm packages (the main
# `vipps-om` package and `@vipps-om/cli-<platform>` with the binary; the
# other platforms' packages are generated and marked "not built").
# One cargo build serves both: maturin builds the binary, the npm package
# takes the same file.
#
# Usage: release/build.sh [--profile release|dev] [--out DIR] [--allow-dirty]
#   --profile      cargo profile (default release; dev reuses a test build)
#   --out          where the packages go (default target/packages)
#   --allow-dirty  build even with uncommitted changes (a release is built
#                  from a committed tree, so by default that is refused)
# Needs: cargo, python3 with venv (maturin is installed from PyPI into
# target/packaging/maturin-venv, pinned), node and npm.
# The version is the workspace's (Cargo.toml [workspace.package]).
# Output: DIR/python/vipps_om-VERSION-...whl, DIR/npm/*.tgz, DIR/SHA256SUMS.
set -euo pipefail
cd "$(dirname "$0")/.."

# maturin from PyPI, pinned (PEP 517 users get ">=1.9,<2" from pyproject.toml).
MATURIN_VERSION="1.16.0"

profile=release
out=""
allow_dirty=false
while [ "$#" -gt 0 ]; do
  case "$1" in
    --profile) profile=${2:?--profile needs release or dev}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --allow-dirty) allow_dirty=true; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "release/build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$profile" in
  release) profile_dir=release ;;
  dev) profile_dir=debug ;;
  *) echo "release/build.sh: --profile $profile: use release or dev" >&2; exit 2 ;;
esac

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "release/build.sh: $1 not found: $2" >&2; exit 2; }
}
need cargo "install Rust with rustup (https://rustup.rs)"
need python3 "install Python 3 (Debian: apt-get install python3 python3-venv)"
need node "install Node.js 18 or newer (Debian: apt-get install nodejs npm)"
need npm "install npm (Debian: apt-get install npm)"
python3 -c 'import venv, ensurepip' 2>/dev/null \
  || { echo "release/build.sh: python3 lacks venv/ensurepip (Debian: apt-get install python3-venv)" >&2; exit 2; }

if ! $allow_dirty && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  echo "release/build.sh: the tree has uncommitted changes; commit them, or pass --allow-dirty for a test build" >&2
  git status --short --untracked-files=no >&2
  exit 2
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
out=$(mkdir -p "${out:-$CARGO_TARGET_DIR/packages}" && cd "${out:-$CARGO_TARGET_DIR/packages}" && pwd)
rm -rf "$out/python" "$out/npm" "$out/SHA256SUMS"

# Which npm platform package this machine's binary goes into.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) npm_platform=linux-x64 ;;
  Linux-aarch64|Linux-arm64) npm_platform=linux-arm64 ;;
  Darwin-x86_64) npm_platform=darwin-x64 ;;
  Darwin-arm64) npm_platform=darwin-arm64 ;;
  *) echo "release/build.sh: no npm platform package for $(uname -s)-$(uname -m) (see packaging/npm/platforms.json)" >&2; exit 2 ;;
esac
if [ "$(uname -s)" = Linux ] && ldd --version 2>&1 | grep -qi musl; then
  npm_platform="$npm_platform-musl"
fi

venv="$CARGO_TARGET_DIR/packaging/maturin-venv"
if [ "$("$venv/bin/maturin" --version 2>/dev/null)" != "maturin $MATURIN_VERSION" ]; then
  echo "==> maturin $MATURIN_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "maturin==$MATURIN_VERSION"
fi

echo "==> wheel (maturin build --profile $profile)"
(cd packaging/python && "$venv/bin/maturin" build --profile "$profile" --out "$out/python")

binary="$CARGO_TARGET_DIR/$profile_dir/vipps-om"
[ -x "$binary" ] || { echo "release/build.sh: maturin left no $binary" >&2; exit 1; }

echo "==> npm packages ($npm_platform built here)"
node packaging/npm/build.mjs --out "$out/npm" --binary "$npm_platform=$binary"

version=$(node -p 'require(process.argv[1]).version' "$out/npm/vipps-om/package.json")
wheel=$(ls "$out"/python/vipps_om-"$version"-*.whl 2>/dev/null | head -n 1)
[ -n "$wheel" ] || { echo "release/build.sh: no wheel of version $version in $out/python" >&2; exit 1; }

if command -v sha256sum >/dev/null 2>&1; then sha256=(sha256sum); else sha256=(shasum -a 256); fi
(cd "$out" && "${sha256[@]}" python/*.whl npm/*.tgz >SHA256SUMS)
echo
echo "vipps-om $version ($profile profile) for $npm_platform:"
(cd "$out" && ls -l python/*.whl npm/*.tgz | awk '{ if ($5 >= 1048576) printf "  %-60s %7.1f MB\n", $NF, $5 / 1048576; else printf "  %-60s %7.1f KB\n", $NF, $5 / 1024 }')
echo "  checksums: $out/SHA256SUMS"
