//! What every test needs: a simulator in this process, a temp dir that
//! holds the config path and input files, and the `vipps-om` binary set up
//! so that nothing from the developer's machine (config file, `VIPPS_*`,
//! `RUST_LOG`) leaks into a run.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use assert_cmd::assert::{Assert, OutputAssertExt};
use serde_json::{Value, json};
use tempfile::TempDir;
use vipps_om_sim::RunningSim;

/// The demo merchant's credentials (public, valid only in the simulator).
pub(crate) const MSN: &str = "123456";
pub(crate) const CLIENT_ID: &str = "demo-client-id";
pub(crate) const CLIENT_SECRET: &str = "demo-client-secret";
pub(crate) const SUBSCRIPTION_KEY: &str = "demo-subscription-key";

/// Variables the command reads; removed from every run, whatever the
/// developer's shell has set.
const VARIABLES: &[&str] = &[
    "VIPPS_CLIENT_ID",
    "VIPPS_CLIENT_SECRET",
    "VIPPS_SUBSCRIPTION_KEY",
    "VIPPS_MERCHANT_SERIAL_NUMBER",
    "VIPPS_BASE_URL",
    "VIPPS_SYSTEM_NAME",
    "VIPPS_SYSTEM_VERSION",
    "VIPPS_SYSTEM_PLUGIN_NAME",
    "VIPPS_SYSTEM_PLUGIN_VERSION",
    "VIPPS_OM_PROFILE",
    "VIPPS_OM_CONFIG",
    "RUST_LOG",
];

/// A running simulator and a private directory for one test.
pub(crate) struct Env {
    pub(crate) sim: RunningSim,
    pub(crate) dir: TempDir,
}

impl Env {
    /// The default simulator (the demo merchant) on a free port.
    pub(crate) async fn start() -> Env {
        Env::with(
            vipps_om_sim::spawn_default()
                .await
                .expect("the simulator starts"),
        )
    }

    /// A simulator in strict mode: it refuses what the client library
    /// refuses, for tests that show the API naming the same fields as local
    /// validation (the default mode refuses only what production is
    /// documented to refuse).
    pub(crate) async fn strict() -> Env {
        let config = vipps_om_sim::Simulator::builder()
            .strict(true)
            .build()
            .expect("a valid configuration");
        Env::with(
            vipps_om_sim::spawn(config)
                .await
                .expect("the simulator starts"),
        )
    }

    /// A test environment around an already started simulator.
    pub(crate) fn with(sim: RunningSim) -> Env {
        Env {
            sim,
            dir: tempfile::tempdir().expect("a temp dir"),
        }
    }

    pub(crate) fn url(&self) -> &str {
        self.sim.base_url()
    }

    /// A path in the test's directory.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file in the test's directory and returns its path.
    pub(crate) fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("the file is written");
        path
    }

    /// Where the runs look for their config file (absent unless written).
    pub(crate) fn config_path(&self) -> PathBuf {
        self.path("config.toml")
    }

    /// The binary with no configuration at all: no `VIPPS_*` variables,
    /// `VIPPS_OM_CONFIG` pointing into the temp dir, no colour, run in the
    /// temp dir.
    pub(crate) fn bare(&self) -> Cli {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("vipps-om"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("VIPPS_") {
                cmd.env_remove(name);
            }
        }
        for name in VARIABLES {
            cmd.env_remove(name);
        }
        cmd.env("VIPPS_OM_CONFIG", self.config_path())
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path());
        Cli { cmd, stdin: None }
    }

    /// The binary pointed at the simulator (`--base-url`) as the demo
    /// merchant (credentials in the environment).
    pub(crate) fn cmd(&self) -> Cli {
        self.bare()
            .args(["--base-url", self.url()])
            .env("VIPPS_CLIENT_ID", CLIENT_ID)
            .env("VIPPS_CLIENT_SECRET", CLIENT_SECRET)
            .env("VIPPS_SUBSCRIPTION_KEY", SUBSCRIPTION_KEY)
            .env("VIPPS_MERCHANT_SERIAL_NUMBER", MSN)
    }

    /// A client library handle for the demo merchant, to set up state.
    pub(crate) fn client(&self) -> vipps_om::Client {
        self.sim.demo_client().expect("a client for the simulator")
    }
}

/// One run of the binary, built by value.
pub(crate) struct Cli {
    cmd: std::process::Command,
    stdin: Option<Vec<u8>>,
}

impl Cli {
    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Cli {
        self.cmd.arg(arg);
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Cli
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub(crate) fn env(mut self, name: &str, value: impl AsRef<OsStr>) -> Cli {
        self.cmd.env(name, value);
        self
    }

    /// Gives `bytes` on standard input.
    pub(crate) fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Cli {
        self.stdin = Some(bytes.into());
        self
    }

    /// The plain command, for tests that wire the streams themselves.
    pub(crate) fn into_std(self) -> std::process::Command {
        self.cmd
    }

    /// Runs the binary on a blocking thread, so the simulator in this
    /// process keeps serving while the binary talks to it. A run that
    /// hangs is killed after a minute.
    pub(crate) async fn run(self) -> Assert {
        let Cli { cmd, stdin } = self;
        tokio::task::spawn_blocking(move || {
            let mut cmd = Command::from_std(cmd);
            cmd.timeout(Duration::from_secs(60));
            if let Some(bytes) = stdin {
                cmd.write_stdin(bytes);
            }
            cmd.output()
        })
        .await
        .expect("the blocking task ends")
        .expect("the binary runs")
        .assert()
    }
}

/// Stdout of a finished run.
pub(crate) fn stdout(assert: &Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

/// Stderr of a finished run.
pub(crate) fn stderr(assert: &Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// Stdout parsed as one JSON document.
pub(crate) fn stdout_json(assert: &Assert) -> Value {
    let text = stdout(assert);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {text}"))
}

/// Stderr parsed as one JSON document.
pub(crate) fn stderr_json(assert: &Assert) -> Value {
    let text = stderr(assert);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("stderr is not JSON ({e}): {text}"))
}

/// The keys of a JSON object, sorted.
pub(crate) fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// A correct receipt as a merchant would write it: three items (one with a
/// long name, one with a discount) at 25 % and 15 %, shipping, a returned
/// item, a tip, a barcode, payment sources. Total for the customer:
/// 2 332,00 kr.
pub(crate) fn receipt() -> Value {
    json!({
        "orderLines": [
            {"name": "Wool socks", "id": "sku-socks",
             "totalAmount": 29800, "totalAmountExcludingTax": 23840, "totalTaxAmount": 5960, "taxRate": 2500,
             "unitInfo": {"unitPrice": 14900, "quantity": "2", "quantityUnit": "PCS"},
             "productUrl": "https://shop.example/p/socks"},
            {"name": "Winter jacket, waterproof, with detachable hood", "id": "sku-jacket",
             "totalAmount": 199900, "totalAmountExcludingTax": 159920, "totalTaxAmount": 39980, "taxRate": 2500,
             "unitInfo": {"unitPrice": 199900, "quantity": "1", "quantityUnit": "PCS"}},
            {"name": "Coffee beans", "id": "sku-coffee",
             "totalAmount": 11500, "totalAmountExcludingTax": 10000, "totalTaxAmount": 1500, "taxRate": 1500,
             "unitInfo": {"unitPrice": 25000, "quantity": "0.5", "quantityUnit": "KG"}, "discount": 1000},
            {"name": "Home delivery", "id": "shipping",
             "totalAmount": 9900, "totalAmountExcludingTax": 7920, "totalTaxAmount": 1980, "taxRate": 2500,
             "isShipping": true, "unitInfo": {"unitPrice": 9900, "quantity": "1", "quantityUnit": "PCS"}},
            {"name": "Cap (returned)", "id": "sku-cap",
             "totalAmount": 19900, "totalAmountExcludingTax": 15920, "totalTaxAmount": 3980, "taxRate": 2500,
             "isReturn": true, "unitInfo": {"unitPrice": 19900, "quantity": "1", "quantityUnit": "PCS"}}
        ],
        "bottomLine": {
            "currency": "NOK", "posId": "pos-7", "receiptNumber": "10042", "tipAmount": 2000,
            "barcode": {"format": "CODE 128", "data": "10042"},
            "paymentSources": {"card": 229900, "giftCard": 3300}
        }
    })
}

/// A small correct receipt with one line.
pub(crate) fn small_receipt(n: usize) -> Value {
    json!({
        "orderLines": [{
            "name": format!("Item {n}"), "id": format!("sku-{n}"),
            "totalAmount": 1000, "totalAmountExcludingTax": 800, "totalTaxAmount": 200, "taxRate": 2500,
            "unitInfo": {"unitPrice": 500, "quantity": "2", "quantityUnit": "PCS"}
        }],
        "bottomLine": {"currency": "NOK", "receiptNumber": format!("r-{n}")}
    })
}

/// A receipt with many problems at once: five errors on the first line,
/// negative amounts on the second, and two warnings.
pub(crate) fn invalid_receipt() -> Value {
    json!({
        "orderLines": [
            {"name": "", "id": "sku-1",
             "totalAmount": 1000, "totalAmountExcludingTax": 800, "totalTaxAmount": 100, "taxRate": 2500,
             "unitInfo": {"unitPrice": 500, "quantity": "2,5", "quantityUnit": "PCS"},
             "productUrl": "shop.example/p/1"},
            {"name": "Tea", "id": "sku-2",
             "totalAmount": -500, "totalAmountExcludingTax": -400, "totalTaxAmount": -100, "taxRate": 2500,
             "unitInfo": {"unitPrice": 500, "quantity": "1", "quantityUnit": "PCS"}}
        ],
        "bottomLine": {"currency": "NOK", "barcode": {"format": "EAN-13", "data": "12345"}}
    })
}

/// The field paths the invalid receipt's errors name.
pub(crate) const INVALID_PATHS: &[&str] = &[
    "orderLines[0].name",
    "orderLines[0].totalAmount",
    "orderLines[0].totalTaxAmount",
    "orderLines[0].unitInfo.quantity",
    "orderLines[0].productUrl",
    "orderLines[1].totalAmount",
    "orderLines[1].totalAmountExcludingTax",
    "orderLines[1].totalTaxAmount",
];

/// A PNG signature and IHDR chunk: what an image check reads.
pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&13u32.to_be_bytes());
    v.extend_from_slice(b"IHDR");
    v.extend_from_slice(&width.to_be_bytes());
    v.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, RGBA, default compression/filter/interlace, then a CRC.
    v.extend_from_slice(&[8, 6, 0, 0, 0]);
    v.extend_from_slice(&crc32(&v[12..29]).to_be_bytes());
    v
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// insta filters for what changes between runs: ports, UUIDs, trace ids,
/// timings.
pub(crate) fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[UUID]",
        ),
        (r"00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]", "[TRACEPARENT]"),
        (r"\d+ ms\b", "[N] ms"),
    ]
}
