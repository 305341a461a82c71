"use strict";
// `vipps-om/testing`: start `vipps-om sim` on a free port for a test, and
// drive its control API (`/_sim/`). Works from node's test runner, Jest and
// Vitest: call `stop()` in an after/afterAll hook; a simulator still running
// when the test process exits is killed then.

const { spawn } = require("node:child_process");
const { BIN_ENV, BinaryNotFoundError, findBinary } = require("./lib/binary.cjs");

/** Longest wait, in ms, for the simulator to print its base URL. */
const STARTUP_TIMEOUT_MS = 30_000;
/** Longest wait, in ms, for the simulator to stop after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 10_000;
/** Timeout, in ms, of one control API call. */
const CONTROL_TIMEOUT_MS = 10_000;
/** Most bytes of the simulator's log (standard error) kept in memory, the newest. */
const LOG_KEPT_BYTES = 64 * 1024;
/** Most bytes of the log quoted in an error. */
const LOG_QUOTED_BYTES = 4096;
/** Most bytes of standard output read while waiting for the base URL. */
const FIRST_LINE_MAX_BYTES = 4096;

/** The demo merchant every `vipps-om sim` serves (public test credentials, only valid there). */
const DEMO_MERCHANT = Object.freeze({
  merchantSerialNumber: "123456",
  clientId: "demo-client-id",
  clientSecret: "demo-client-secret",
  subscriptionKey: "demo-subscription-key",
});

/** Route templates for `injectFault` (also "*" for every route). */
const ROUTES = Object.freeze({
  token: "POST /accesstoken/get",
  uploadImage: "POST /order-management/v1/images",
  setCategory: "PUT /order-management/v2/{paymentType}/categories/{orderId}",
  addReceipt: "POST /order-management/v2/{paymentType}/receipts/{orderId}",
  getOrder: "GET /order-management/v2/{paymentType}/{orderId}",
});

class SimulatorError extends Error {
  constructor(message) {
    super(message);
    this.name = "SimulatorError";
  }
}

// Simulators still running; killed if the process exits without stopping them.
const live = new Set();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

class Simulator {
  /** @internal */
  constructor(child, baseUrl, logTail) {
    this._child = child;
    this._logTail = logTail;
    this._stopped = null;
    /** The base URL, e.g. http://127.0.0.1:41039 (no trailing slash). */
    this.baseUrl = baseUrl;
    /** The demo merchant's credentials. */
    this.credentials = DEMO_MERCHANT;
  }

  /** The simulator's process id. */
  get pid() {
    return this._child.pid;
  }

  /** Whether the simulator process is still running. */
  get running() {
    return this._child.exitCode === null && this._child.signalCode === null;
  }

  /** The VIPPS_* variables the `vipps-om` command reads, for this simulator as the demo merchant. */
  env() {
    return {
      VIPPS_BASE_URL: this.baseUrl,
      VIPPS_CLIENT_ID: this.credentials.clientId,
      VIPPS_CLIENT_SECRET: this.credentials.clientSecret,
      VIPPS_SUBSCRIPTION_KEY: this.credentials.subscriptionKey,
      VIPPS_MERCHANT_SERIAL_NUMBER: this.credentials.merchantSerialNumber,
    };
  }

  /** The newest part of the simulator's log (standard error: one line per request). */
  log() {
    return this._logTail();
  }

  /** Stop the simulator (SIGTERM, then SIGKILL after STOP_TIMEOUT_MS). Calling it again does nothing. */
  stop() {
    if (!this._stopped) this._stopped = stopChild(this._child);
    return this._stopped;
  }

  /** Forget orders, images, tokens, faults, the request log and counters. */
  async reset() {
    await this._call("POST", "/_sim/reset");
  }

  /**
   * Answer the next `count` (default 1) requests to `route` with `status`
   * (400–599), after `delayMs`, with a Retry-After of `retryAfter` seconds;
   * `msn` limits it to one merchant. Returns the queued fault; rejects with
   * the simulator's reason when it refuses it.
   */
  async injectFault({ route = "*", status, count, retryAfter, delayMs, msn } = {}) {
    const spec = { route };
    for (const [key, value] of Object.entries({ status, count, retryAfter, delayMs, msn })) {
      if (value !== undefined) spec[key] = value;
    }
    const answer = await this._call("POST", "/_sim/faults", spec);
    return (answer && answer.fault) ?? answer ?? {};
  }

  /** The queued faults, with their uses left. */
  async faults() {
    return this._list("/_sim/faults", "faults");
  }

  /** Remove every queued fault. */
  async clearFaults() {
    await this._call("DELETE", "/_sim/faults");
  }

  /** The request log, oldest first (secrets masked). */
  async requests() {
    return this._list("/_sim/requests", "requests");
  }

  /** Every stored order, per merchant: categories and receipt. */
  async orders() {
    return this._list("/_sim/orders", "orders");
  }

  /** Token requests, tokens issued, and requests per route and status. */
  async counters() {
    return (await this._call("GET", "/_sim/counters")) ?? {};
  }

  async _list(path, key) {
    const answer = await this._call("GET", path);
    if (answer && Array.isArray(answer[key])) return answer[key];
    throw new SimulatorError(`GET ${path}: the answer has no "${key}" list`);
  }

  async _call(method, path, body) {
    if (!this.running) {
      throw new SimulatorError(`${method} ${path}: the simulator is not running`);
    }
    let response;
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS),
      });
    } catch (error) {
      throw new SimulatorError(`${method} ${path}: ${error.message}`);
    }
    const text = await response.text();
    if (!response.ok) {
      let reason = text.slice(0, 1024);
      try {
        reason = JSON.parse(text).error ?? reason;
      } catch {
        // not JSON: quote the text
      }
      throw new SimulatorError(`${method} ${path}: ${response.status}: ${reason}`);
    }
    if (text === "") return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new SimulatorError(`${method} ${path}: the answer is not JSON: ${text.slice(0, 200)}`);
    }
  }
}

if (typeof Symbol.asyncDispose === "symbol") {
  // `await using sim = await startSimulator()` stops it at the end of the block.
  Simulator.prototype[Symbol.asyncDispose] = function () {
    return this.stop();
  };
}

function stopChild(child) {
  return new Promise((resolve) => {
    // Never started (spawn failed), or already gone.
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      live.delete(child);
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      live.delete(child);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/**
 * Start `vipps-om sim` on a free loopback port; resolves once it serves.
 *
 * Options: `args` (more `vipps-om sim` options, e.g. ["--strict"]),
 * `listen` (default "127.0.0.1:0"), `binary` (default: VIPPS_OM_BIN or the
 * installed one), `env` (more environment variables), `startupTimeoutMs`.
 */
async function startSimulator(options = {}) {
  const {
    args = [],
    listen = "127.0.0.1:0",
    binary = findBinary(),
    env = {},
    startupTimeoutMs = STARTUP_TIMEOUT_MS,
  } = options;
  const command = [binary, "sim", "--listen", listen, ...args];
  const child = spawn(binary, command.slice(1), {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  installExitHook();
  live.add(child);

  let log = Buffer.alloc(0);
  child.stderr.on("data", (chunk) => {
    log = Buffer.concat([log, chunk]);
    if (log.length > LOG_KEPT_BYTES) log = log.subarray(log.length - LOG_KEPT_BYTES);
  });
  const logTail = (limit = LOG_KEPT_BYTES) =>
    log.subarray(Math.max(0, log.length - limit)).toString("utf8");

  let baseUrl;
  try {
    baseUrl = await new Promise((resolve, reject) => {
      let out = "";
      const fail = (problem) => {
        cleanup();
        const tail = logTail(LOG_QUOTED_BYTES).trim();
        reject(
          new SimulatorError(
            `\`${command.join(" ")}\` ${problem}` + (tail ? `; its log ends:\n${tail}` : "; it logged nothing"),
          ),
        );
      };
      const onData = (chunk) => {
        out += chunk.toString("utf8");
        const newline = out.indexOf("\n");
        if (newline < 0) {
          if (out.length > FIRST_LINE_MAX_BYTES) fail(`printed ${FIRST_LINE_MAX_BYTES} bytes without a line end`);
          return;
        }
        const first = out.slice(0, newline).trim();
        if (/^https?:\/\//.test(first)) {
          cleanup();
          resolve(first.replace(/\/+$/, ""));
        } else {
          fail(`printed ${JSON.stringify(first.slice(0, 200))} instead of its base URL`);
        }
      };
      const onExit = (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before serving`);
      const onError = (error) => fail(`could not be run: ${error.message}`);
      const timer = setTimeout(() => fail(`printed no base URL within ${startupTimeoutMs} ms`), startupTimeoutMs);
      function cleanup() {
        clearTimeout(timer);
        child.stdout.off("data", onData);
        child.off("exit", onExit);
        child.off("error", onError);
      }
      child.stdout.on("data", onData);
      child.once("exit", onExit);
      child.once("error", onError);
    });
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  // Keep reading (and dropping) standard output so the simulator never
  // blocks on a full pipe; do not keep the test process alive for it: a
  // forgotten simulator is killed at exit instead of hanging the run.
  child.stdout.resume();
  child.unref();
  child.stdout.unref();
  child.stderr.unref();
  return new Simulator(child, baseUrl, logTail);
}

module.exports = {
  BIN_ENV,
  BinaryNotFoundError,
  CONTROL_TIMEOUT_MS,
  DEMO_MERCHANT,
  ROUTES,
  STARTUP_TIMEOUT_MS,
  STOP_TIMEOUT_MS,
  Simulator,
  SimulatorError,
  findBinary,
  startSimulator,
};
