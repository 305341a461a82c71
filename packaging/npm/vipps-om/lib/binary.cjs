"use strict";
// Finds the `vipps-om` binary: VIPPS_OM_BIN when set, otherwise the one in
// this platform's package (@vipps-om/cli-<platform>), which npm installed
// as an optional dependency.

const fs = require("node:fs");
const path = require("node:path");

/** Environment variable naming a `vipps-om` binary to use instead of the installed one. */
const BIN_ENV = "VIPPS_OM_BIN";
/** Scope of the per-platform packages. */
const PLATFORM_SCOPE = "@vipps-om";

class BinaryNotFoundError extends Error {
  constructor(message) {
    super(message);
    this.name = "BinaryNotFoundError";
  }
}

function platforms() {
  // Written by packaging/npm/build.mjs from packaging/npm/platforms.json.
  return require("./platforms.json").platforms;
}

function isMusl() {
  if (process.platform !== "linux") return false;
  try {
    const report = process.report && process.report.getReport();
    const header = report && (typeof report === "string" ? JSON.parse(report) : report).header;
    return !(header && header.glibcVersionRuntime);
  } catch {
    return false;
  }
}

/** The platform package for this machine, or undefined when none is built for it. */
function platformPackage() {
  const libc = process.platform === "linux" ? (isMusl() ? "musl" : "glibc") : undefined;
  const entry = platforms().find(
    (p) => p.os === process.platform && p.cpu === process.arch && (p.libc === undefined || p.libc === libc),
  );
  return entry && { name: `${PLATFORM_SCOPE}/cli-${entry.key}`, exe: entry.exe, key: entry.key };
}

function isExecutable(file) {
  try {
    if (!fs.statSync(file).isFile()) return false;
    if (process.platform !== "win32") fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of the `vipps-om` binary: VIPPS_OM_BIN when set (it must name an
 * executable file), otherwise the binary of this platform's package.
 * Throws BinaryNotFoundError saying what to do when neither exists.
 */
function findBinary() {
  const override = process.env[BIN_ENV];
  if (override) {
    if (isExecutable(override)) return override;
    const reason = fs.existsSync(override) ? "is not an executable file" : "does not exist";
    throw new BinaryNotFoundError(
      `${BIN_ENV}=${override} ${reason}: point ${BIN_ENV} at a vipps-om binary ` +
        "(e.g. target/release/vipps-om after `cargo build --release -p vipps-om-cli`), " +
        "or unset it to use the one installed with the vipps-om npm package",
    );
  }
  const pkg = platformPackage();
  const here = `${process.platform}-${process.arch}${isMusl() ? " (musl)" : ""}`;
  if (!pkg) {
    throw new BinaryNotFoundError(
      `the vipps-om npm package has no binary for ${here}: build one with ` +
        "`cargo install vipps-om-cli` (Rust toolchain) and set " +
        `${BIN_ENV} to its path`,
    );
  }
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg.name}/package.json`));
  } catch {
    throw new BinaryNotFoundError(
      `the vipps-om binary for ${here} was not found: its package ${pkg.name} is not installed ` +
        "(npm skips optional dependencies with --omit=optional or --no-optional, and " +
        "a lock file made on another platform may lack it): install it with " +
        `\`npm install ${pkg.name}\`, or set ${BIN_ENV} to the path of a vipps-om binary`,
    );
  }
  const file = path.join(dir, pkg.exe);
  if (!isExecutable(file)) {
    throw new BinaryNotFoundError(
      `${file} is missing or not executable: reinstall ${pkg.name}, or set ${BIN_ENV} ` +
        "to the path of a vipps-om binary",
    );
  }
  return file;
}

module.exports = { BIN_ENV, BinaryNotFoundError, findBinary, platformPackage };
