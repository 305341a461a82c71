// Tests of the installed vipps-om npm package: the `vipps-om` launcher and
// `vipps-om/testing`. Run with `node --test` from a project where the
// tarballs are installed (.ci/packages-shops.sh does).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import {
  BinaryNotFoundError,
  ROUTES,
  SimulatorError,
  findBinary,
  startSimulator,
} from "vipps-om/testing";

const require = createRequire(path.join(process.cwd(), "package.json"));
const run = promisify(execFile);
const launcher = path.join(process.cwd(), "node_modules", ".bin", "vipps-om");
const mainDir = path.dirname(require.resolve("vipps-om/package.json"));
const version = require("vipps-om/package.json").version;

function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A zombie still answers kill(0); it has stopped all the same.
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(")").pop().trim()[0] !== "Z";
  } catch {
    return true;
  }
}

async function until(condition, what, ms = 10_000) {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("the launcher runs this platform's binary with the package's version", async () => {
  const { stdout } = await run(launcher, ["--version"]);
  assert.equal(stdout.trim(), `vipps-om ${version}`);
  assert.match(findBinary(), /node_modules\/@vipps-om\/cli-linux-x64\/vipps-om$/);
});

test("the launcher exits with the binary's exit code", async () => {
  await assert.rejects(run(launcher, ["receipt", "send"]), (error) => {
    assert.equal(error.code, 2);
    return true;
  });
});

test("the launcher passes SIGTERM on to the simulator", async () => {
  const child = spawn(launcher, ["sim", "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "ignore"] });
  const firstLine = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) resolve(out.split("\n")[0]);
    });
    child.once("exit", () => reject(new Error("the launcher exited before the simulator served")));
  });
  assert.match(firstLine, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal((await fetch(`${firstLine}/_sim/orders`)).status, 200);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.kill("SIGTERM");
  const { code } = await exited;
  assert.equal(code, 0, "the simulator stops gracefully and the launcher exits as it did");
  await assert.rejects(fetch(`${firstLine}/_sim/orders`));
});

test("startSimulator: base URL, demo credentials, control client, stop", async () => {
  const sim = await startSimulator();
  assert.match(sim.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(sim.credentials.merchantSerialNumber, "123456");
  assert.equal(sim.env().VIPPS_BASE_URL, sim.baseUrl);
  const fault = await sim.injectFault({ route: ROUTES.getOrder, status: 503, count: 2, retryAfter: 1 });
  assert.equal(fault.count, 2);
  assert.equal(fault.status, 503);
  assert.equal((await sim.faults()).length, 1);
  await assert.rejects(sim.injectFault({ route: "GET /nope", status: 503 }), (error) => {
    assert.ok(error instanceof SimulatorError);
    assert.match(error.message, /400: "GET \/nope" is not a route/);
    return true;
  });
  await sim.reset();
  assert.deepEqual(await sim.faults(), []);
  assert.deepEqual(await sim.requests(), []);
  const pid = sim.pid;
  await sim.stop();
  await sim.stop();
  assert.equal(alive(pid), false);
  await assert.rejects(sim.orders(), /not running/);
});

test("each startSimulator gets its own port", async () => {
  const [a, b] = await Promise.all([startSimulator(), startSimulator()]);
  try {
    assert.notEqual(a.baseUrl, b.baseUrl);
    await a.injectFault({ status: 500 });
    assert.equal((await b.faults()).length, 0);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test("a simulator that cannot start says why", async () => {
  await assert.rejects(startSimulator({ args: ["--store-mib", "not-a-number"] }), (error) => {
    assert.ok(error instanceof SimulatorError);
    assert.match(error.message, /exited \(code 2\) before serving/);
    assert.match(error.message, /--store-mib/);
    return true;
  });
});

test("VIPPS_OM_BIN wins, and a wrong one is named", async () => {
  const saved = process.env.VIPPS_OM_BIN;
  try {
    process.env.VIPPS_OM_BIN = "/no/such/vipps-om";
    await assert.rejects(startSimulator(), (error) => {
      assert.ok(error instanceof BinaryNotFoundError);
      assert.match(error.message, /VIPPS_OM_BIN=\/no\/such\/vipps-om does not exist/);
      return true;
    });
    const missing = await run(launcher, ["--version"]).catch((error) => error);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^vipps-om: VIPPS_OM_BIN=\/no\/such\/vipps-om does not exist/);
    process.env.VIPPS_OM_BIN = findBinaryWithout();
    const { stdout } = await run(launcher, ["--version"]);
    assert.equal(stdout.trim(), `vipps-om ${version}`);
  } finally {
    if (saved === undefined) delete process.env.VIPPS_OM_BIN;
    else process.env.VIPPS_OM_BIN = saved;
  }
});

function findBinaryWithout() {
  const saved = process.env.VIPPS_OM_BIN;
  delete process.env.VIPPS_OM_BIN;
  try {
    return findBinary();
  } finally {
    process.env.VIPPS_OM_BIN = saved;
  }
}

test("without its platform package the launcher names the package to install", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vipps-om-npm-"));
  try {
    fs.cpSync(mainDir, path.join(dir, "node_modules", "vipps-om"), { recursive: true });
    const env = { ...process.env };
    delete env.VIPPS_OM_BIN;
    const failed = await run(process.execPath, [path.join(dir, "node_modules", "vipps-om", "bin", "vipps-om.js"), "--version"], {
      env,
    }).catch((error) => error);
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, /its package @vipps-om\/cli-linux-x64 is not installed/);
    assert.match(failed.stderr, /VIPPS_OM_BIN/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a simulator left running is killed when the test process exits", async () => {
  const script = `
    const { startSimulator } = require("vipps-om/testing");
    startSimulator().then((sim) => { console.log(sim.pid); });
  `;
  const { stdout } = await run(process.execPath, ["-e", script], { cwd: process.cwd() });
  const pid = Number(stdout.trim());
  assert.ok(pid > 0);
  await until(() => !alive(pid), "the forgotten simulator was killed");
});

test("require('vipps-om/testing') works from CommonJS", async () => {
  const script = `
    const t = require("vipps-om/testing");
    console.log(typeof t.startSimulator, t.ROUTES.addReceipt);
  `;
  const { stdout } = await run(process.execPath, ["-e", script], { cwd: process.cwd() });
  assert.equal(stdout.trim(), "function POST /order-management/v2/{paymentType}/receipts/{orderId}");
});
