#!/usr/bin/env node
"use strict";
// `vipps-om` (and `npx vipps-om ...`): runs the binary of this platform's
// package with the same arguments, passes signals on, and exits as it did.

const { spawn } = require("node:child_process");
const { BinaryNotFoundError, findBinary } = require("../lib/binary.cjs");

let binary;
try {
  binary = findBinary();
} catch (error) {
  if (!(error instanceof BinaryNotFoundError)) throw error;
  console.error(`vipps-om: ${error.message}`);
  process.exit(2);
}

const child = spawn(binary, process.argv.slice(2), { stdio: "inherit" });
const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"];
for (const signal of forwarded) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.on("error", (error) => {
  console.error(`vipps-om: could not run ${binary}: ${error.message}`);
  process.exit(2);
});
child.on("exit", (code, signal) => {
  if (signal) {
    // Die of the same signal, so callers see what the binary saw.
    for (const s of forwarded) process.removeAllListeners(s);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code === null ? 1 : code);
});
