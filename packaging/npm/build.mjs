#!/usr/bin/env node
// Builds the npm packages of `vipps-om` in the pattern biome and esbuild use:
// a small main package (`vipps-om`: the `bin` launcher and `vipps-om/testing`)
// and one package per platform (`@vipps-om/cli-<platform>`) holding the
// binary, listed in the main package's optionalDependencies so that npm
// installs only the one for the machine.
//
// Every platform of platforms.json is generated; a platform is packed only
// when its binary is given with --binary KEY=PATH (the others are marked
// "not built": their binaries are compiled on a machine for that target).
//
// Usage:
//   node packaging/npm/build.mjs --out DIR [--version X.Y.Z] [--binary linux-x64=target/release/vipps-om]...
// Without --version, the version is the workspace's (cargo metadata).
// Writes DIR/<package>/ (staged) and DIR/*.tgz (npm pack), and prints
// which platforms were built.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const SCOPE = "@vipps-om";
const MAIN = "vipps-om";
const LICENSES = ["LICENSE-MIT", "LICENSE-APACHE"];

function usage(message) {
  console.error(`build.mjs: ${message}`);
  console.error("usage: node packaging/npm/build.mjs --out DIR [--version X.Y.Z] [--binary KEY=PATH]...");
  process.exit(2);
}

function parseArgs(argv) {
  const options = { out: undefined, version: undefined, binaries: new Map() };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!["--out", "--version", "--binary"].includes(flag)) usage(`unknown argument ${flag}`);
    if (value === undefined) usage(`${flag} needs a value`);
    i += 1;
    if (flag === "--out") options.out = path.resolve(value);
    if (flag === "--version") options.version = value;
    if (flag === "--binary") {
      const eq = value.indexOf("=");
      if (eq < 1) usage(`--binary ${value}: write KEY=PATH, e.g. linux-x64=target/release/vipps-om`);
      options.binaries.set(value.slice(0, eq), path.resolve(value.slice(eq + 1)));
    }
  }
  if (!options.out) usage("--out DIR is required");
  return options;
}

function workspaceVersion() {
  const json = execFileSync(
    "cargo",
    ["metadata", "--no-deps", "--format-version", "1", "--manifest-path", path.join(root, "Cargo.toml")],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  const cli = JSON.parse(json).packages.find((p) => p.name === "vipps-om-cli");
  if (!cli) throw new Error("cargo metadata lists no vipps-om-cli package");
  return cli.version;
}

function writeJson(file, value) {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function copyLicenses(dir) {
  for (const name of LICENSES) fs.copyFileSync(path.join(root, name), path.join(dir, name));
}

function pack(dir, out) {
  const json = execFileSync("npm", ["pack", "--json", "--pack-destination", out], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [info] = JSON.parse(json);
  return path.join(out, info.filename);
}

const options = parseArgs(process.argv.slice(2));
const version = options.version ?? workspaceVersion();
const { platforms } = JSON.parse(fs.readFileSync(path.join(here, "platforms.json"), "utf8"));
const keys = new Set(platforms.map((p) => p.key));
for (const key of options.binaries.keys()) {
  if (!keys.has(key)) usage(`--binary ${key}=...: no such platform; one of ${[...keys].join(", ")}`);
}

fs.rmSync(options.out, { recursive: true, force: true });
fs.mkdirSync(options.out, { recursive: true });

const summary = [];
for (const platform of platforms) {
  const name = `${SCOPE}/cli-${platform.key}`;
  const dir = path.join(options.out, `cli-${platform.key}`);
  fs.mkdirSync(dir);
  const manifest = {
    name,
    version,
    description: `The vipps-om binary for ${platform.key} (${platform.rustTarget}); installed by the vipps-om package`,
    license: "MIT OR Apache-2.0",
    os: [platform.os],
    cpu: [platform.cpu],
    ...(platform.libc ? { libc: [platform.libc] } : {}),
    files: [platform.exe, ...LICENSES],
    preferUnplugged: true,
  };
  writeJson(path.join(dir, "package.json"), manifest);
  fs.writeFileSync(
    path.join(dir, "README.md"),
    `# ${name}\n\nThe \`vipps-om\` binary for ${platform.key} (Rust target \`${platform.rustTarget}\`).\n` +
      "Install the `vipps-om` package instead: it picks this one on this platform.\n",
  );
  copyLicenses(dir);
  const binary = options.binaries.get(platform.key);
  if (binary) {
    if (!fs.existsSync(binary)) usage(`--binary ${platform.key}=${binary}: no such file`);
    const target = path.join(dir, platform.exe);
    fs.copyFileSync(binary, target);
    fs.chmodSync(target, 0o755);
    summary.push({ name, key: platform.key, tarball: pack(dir, options.out) });
  } else {
    fs.writeFileSync(
      path.join(dir, "NOT-BUILT"),
      `No binary for ${platform.key} was given: build it on a ${platform.os}/${platform.cpu} machine with\n` +
        `  cargo build --release -p vipps-om-cli --target ${platform.rustTarget}\n` +
        `and run build.mjs with --binary ${platform.key}=PATH.\n`,
    );
    summary.push({ name, key: platform.key, tarball: undefined });
  }
}

const mainDir = path.join(options.out, MAIN);
fs.cpSync(path.join(here, MAIN), mainDir, { recursive: true });
const manifest = JSON.parse(fs.readFileSync(path.join(mainDir, "package.json"), "utf8"));
manifest.version = version;
manifest.optionalDependencies = Object.fromEntries(platforms.map((p) => [`${SCOPE}/cli-${p.key}`, version]));
writeJson(path.join(mainDir, "package.json"), manifest);
writeJson(path.join(mainDir, "lib", "platforms.json"), { platforms });
copyLicenses(mainDir);
const mainTarball = pack(mainDir, options.out);

console.log(`npm packages of vipps-om ${version} in ${options.out}:`);
console.log(`  ${MAIN.padEnd(32)} ${path.basename(mainTarball)}`);
for (const entry of summary) {
  console.log(`  ${entry.name.padEnd(32)} ${entry.tarball ? path.basename(entry.tarball) : "not built on this machine"}`);
}
writeJson(path.join(options.out, "packages.json"), {
  version,
  main: path.basename(mainTarball),
  platforms: Object.fromEntries(summary.map((e) => [e.key, e.tarball ? path.basename(e.tarball) : null])),
});
