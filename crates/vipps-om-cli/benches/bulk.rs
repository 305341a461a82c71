//! Receipts per second of `vipps-om receipt add --bulk` against the
//! simulator, side by side with a plain reqwest loop sending the same
//! requests (issue 5). One run measures everything:
//!
//! - **(a) `vipps-om --bulk`**: the release binary of this crate
//!   (`CARGO_BIN_EXE_vipps-om`, built with the bench profile, which is the
//!   release profile) run as a child process on a JSONL file; the time is
//!   the wall time of the whole command, so it *includes* process start-up,
//!   the async runtime, reading the file, the token request and the summary.
//!   Standard error is a pipe, so the progress bar is hidden (indicatif
//!   only counts).
//! - **(b) plain reqwest**: in this process, a fresh `reqwest::Client`, one
//!   token request, then the same pre-serialized bodies (byte for byte what
//!   the CLI sends) with the same headers to
//!   `POST /order-management/v2/ecom/receipts/{orderId}`, one tokio task per
//!   receipt behind a semaphore of the same size; no validation, no retries.
//!   Timed from building the client to the last answer.
//! - **(c) `vipps-om --bulk --no-validate`** (informational): note that it
//!   still reads every receipt with the checking parser and only skips the
//!   client's second check, so it does about the same work as (a).
//! - **(d) `vipps_om::Client` in-process** (informational): the client
//!   library's `receipts().add` on receipts parsed beforehand, same
//!   semaphore and tasks: (a) minus the process and the per-line JSON work.
//!
//! All talk to one simulator (`vipps-om sim --listen 127.0.0.1:0`, the
//! same release binary, `RUST_LOG=warn` so it does not log every request)
//! started once; it is reset (`POST /_sim/reset`) before every run and each
//! run uses orderIds of its own. After every run the simulator's counters
//! and stored orders are checked: exactly one token, exactly N receipts
//! answered 201 and nothing else, exactly N stored receipts with this run's
//! orderIds; a run that fails the check stops the benchmark. The warm-up
//! also checks, in the simulator's request log, that every variant sends
//! the same method, headers and body for the same receipt.
//!
//! Runs alternate the variants (their order flips every round) for each
//! concurrency; the tables report medians. CPU time per receipt of the
//! sending process and of the simulator comes from `/proc/PID/stat` (clock
//! ticks, so ±1 tick per run). Last, the local steps `--bulk` takes per
//! line are timed alone on one thread.
//!
//! Run: `cargo bench -p vipps-om-cli --bench bulk`. Environment:
//! `BULK_BENCH_RECEIPTS` (default 5000), `BULK_BENCH_ROUNDS` (default 3),
//! `BULK_BENCH_CONCURRENCY` (default `1,8,32`); `BULK_BENCH_PROFILE=b|d`
//! runs only (b) or (d) five times at concurrency 8, for `perf record`.
//! Linux only (`/proc`).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const BIN: &str = env!("CARGO_BIN_EXE_vipps-om");
const CLIENT_ID: &str = "demo-client-id";
const CLIENT_SECRET: &str = "demo-client-secret";
const SUBSCRIPTION_KEY: &str = "demo-subscription-key";
const MSN: &str = "123456";
const RECEIPT_ROUTE: &str = "POST /order-management/v2/{paymentType}/receipts/{orderId}";
const TOKEN_ROUTE: &str = "POST /accesstoken/get";
/// What `vipps_om::Client` sends as `User-Agent`.
const USER_AGENT: &str = concat!("vipps-om-rust/", env!("CARGO_PKG_VERSION"));

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Variant {
    Bulk,
    Plain,
    BulkNoValidate,
    Library,
}

impl Variant {
    fn label(self) -> &'static str {
        match self {
            Variant::Bulk => "vipps-om --bulk",
            Variant::Plain => "plain reqwest",
            Variant::BulkNoValidate => "vipps-om --bulk --no-validate",
            Variant::Library => "vipps_om::Client in-process",
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Variant::Bulk => "a",
            Variant::Plain => "b",
            Variant::BulkNoValidate => "c",
            Variant::Library => "d",
        }
    }
}

struct Settings {
    receipts: usize,
    rounds: usize,
    concurrency: Vec<usize>,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> Result<T, BoxError> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("{name}={v:?} is not a valid value").into()),
        Err(_) => Ok(default),
    }
}

impl Settings {
    fn from_env() -> Result<Settings, BoxError> {
        let concurrency = match std::env::var("BULK_BENCH_CONCURRENCY") {
            Ok(list) => list
                .split(',')
                .map(|c| c.trim().parse::<usize>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| format!("BULK_BENCH_CONCURRENCY={list:?}; use e.g. 1,8,32"))?,
            Err(_) => vec![1, 8, 32],
        };
        Ok(Settings {
            receipts: env_or("BULK_BENCH_RECEIPTS", 5_000)?,
            rounds: env_or("BULK_BENCH_ROUNDS", 3)?,
            concurrency,
        })
    }
}

// ------------------------------------------------------------------ simulator

/// The simulator child process; killed (by its own pid) when dropped.
struct Sim {
    child: Child,
    base_url: String,
    /// Kept open so the simulator never writes to a closed pipe.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Sim {
    fn start(log: &Path) -> Result<Sim, BoxError> {
        let mut child = Command::new(BIN)
            .args(["sim", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log)?)
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no simulator stdout")?;
        let mut stdout = BufReader::new(stdout);
        let mut first = String::new();
        stdout.read_line(&mut first)?;
        let base_url = first.trim().to_owned();
        if !base_url.starts_with("http://") {
            let _ = child.kill();
            return Err(format!("the simulator printed {first:?}, not its URL").into());
        }
        Ok(Sim {
            child,
            base_url,
            _stdout: stdout,
        })
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Control API calls (untimed).
struct Control {
    http: reqwest::Client,
    base_url: String,
}

impl Control {
    async fn reset(&self) -> Result<(), BoxError> {
        let r = self
            .http
            .post(format!("{}/_sim/reset", self.base_url))
            .send()
            .await?;
        if r.status() != 204 {
            return Err(format!("reset answered {}", r.status()).into());
        }
        Ok(())
    }

    async fn get(&self, path: &str) -> Result<Value, BoxError> {
        let r = self
            .http
            .get(format!("{}{path}", self.base_url))
            .send()
            .await?
            .error_for_status()?;
        Ok(serde_json::from_slice(&r.bytes().await?)?)
    }

    /// Headers (without `content-length`) and body of the logged receipt
    /// request for `order_id`, to check that the variants send the same.
    async fn logged_receipt(&self, order_id: &str) -> Result<Value, BoxError> {
        let log = self.get("/_sim/requests").await?;
        let path = format!("/order-management/v2/ecom/receipts/{order_id}");
        let mut request = log["requests"]
            .as_array()
            .and_then(|all| all.iter().find(|r| r["path"] == path.as_str()))
            .cloned()
            .ok_or_else(|| format!("{path} is not in the request log"))?;
        if let Some(headers) = request["headers"].as_object_mut() {
            headers.remove("content-length");
        }
        Ok(
            json!({"method": request["method"], "headers": request["headers"], "body": request["body"]}),
        )
    }

    /// The simulator saw exactly one token request and `n` receipts, all
    /// 201, and stores exactly `n` receipts, all with orderIds of this run.
    async fn verify(&self, n: usize, prefix: &str) -> Result<(), BoxError> {
        let counters = self.get("/_sim/counters").await?;
        let expected = json!({
            "tokenRequests": {MSN: 1},
            "tokensIssued": {MSN: 1},
            "requests": {
                TOKEN_ROUTE: {"200": 1},
                RECEIPT_ROUTE: {"201": n},
            },
        });
        if counters != expected {
            return Err(format!("counters are {counters}, expected {expected}").into());
        }
        let orders = self.get("/_sim/orders").await?;
        let orders = orders["orders"].as_array().ok_or("no orders array")?;
        let stored = orders
            .iter()
            .filter(|o| {
                o["receipt"].is_object()
                    && o["merchantSerialNumber"] == MSN
                    && o["paymentType"] == "ECOM"
                    && o["orderId"]
                        .as_str()
                        .is_some_and(|id| id.starts_with(prefix))
            })
            .count();
        if orders.len() != n || stored != n {
            return Err(format!(
                "the simulator stores {} orders, {stored} with a receipt of this run; expected {n}",
                orders.len()
            )
            .into());
        }
        Ok(())
    }
}

// ------------------------------------------------------------------ input

/// A valid receipt of three order lines (25 %, 15 % and 12 % VAT).
fn receipt(i: usize) -> Value {
    json!({
        "orderLines": [
            {
                "name": "Wool socks", "id": "sku-1",
                "totalAmount": 29800, "totalAmountExcludingTax": 23840, "totalTaxAmount": 5960,
                "taxRate": 2500,
                "unitInfo": {"unitPrice": 14900, "quantity": "2", "quantityUnit": "PCS"}
            },
            {
                "name": "Coffee beans 500 g", "id": "sku-2",
                "totalAmount": 11500, "totalAmountExcludingTax": 10000, "totalTaxAmount": 1500,
                "taxRate": 1500,
                "unitInfo": {"unitPrice": 11500, "quantity": "1", "quantityUnit": "PCS"}
            },
            {
                "name": "Bus ticket", "id": "sku-3",
                "totalAmount": 5600, "totalAmountExcludingTax": 5000, "totalTaxAmount": 600,
                "taxRate": 1200,
                "unitInfo": {"unitPrice": 5600, "quantity": "1", "quantityUnit": "PCS"}
            }
        ],
        "bottomLine": {"currency": "NOK", "posId": "pos-1", "receiptNumber": format!("{:010}", i + 1)}
    })
}

fn order_id(prefix: &str, i: usize) -> String {
    format!("{prefix}{i:05}")
}

/// The JSONL file `--bulk` reads.
fn write_jsonl(path: &Path, prefix: &str, n: usize) -> Result<(), BoxError> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..n {
        let line =
            json!({"orderId": order_id(prefix, i), "paymentType": "ECOM", "receipt": receipt(i)});
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

/// `(url, body)` per receipt, the body serialized the way the client
/// library serializes it (through its `Receipt` model), so that (b) sends
/// the same bytes as (a).
fn plain_requests(
    base_url: &str,
    prefix: &str,
    n: usize,
) -> Result<Vec<(String, Vec<u8>)>, BoxError> {
    (0..n)
        .map(|i| {
            let model: vipps_om::Receipt = serde_json::from_value(receipt(i))?;
            Ok((
                format!(
                    "{base_url}/order-management/v2/ecom/receipts/{}",
                    order_id(prefix, i)
                ),
                serde_json::to_vec(&model)?,
            ))
        })
        .collect()
}

// ------------------------------------------------------------------ runs

fn cli_command(base_url: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    for (name, _) in std::env::vars() {
        if name.starts_with("VIPPS_") || name == "RUST_LOG" {
            cmd.env_remove(name);
        }
    }
    cmd.env("VIPPS_CLIENT_ID", CLIENT_ID)
        .env("VIPPS_CLIENT_SECRET", CLIENT_SECRET)
        .env("VIPPS_SUBSCRIPTION_KEY", SUBSCRIPTION_KEY)
        .env("VIPPS_MERCHANT_SERIAL_NUMBER", MSN)
        .env("VIPPS_BASE_URL", base_url)
        .env("VIPPS_OM_CONFIG", dir.join("no-such-config.toml"))
        .stdin(Stdio::null());
    cmd
}

/// (a)/(c): the whole `vipps-om receipt add --bulk` command.
fn run_cli(
    base_url: &str,
    dir: &Path,
    input: &Path,
    n: usize,
    concurrency: usize,
    validate: bool,
) -> Result<Duration, BoxError> {
    let failed_out = dir.join("failed.jsonl");
    let mut cmd = cli_command(base_url, dir);
    cmd.args(["receipt", "add", "--bulk"])
        .arg(input)
        .args(["--concurrency", &concurrency.to_string(), "--failed-out"])
        .arg(&failed_out);
    if !validate {
        cmd.arg("--no-validate");
    }
    let started = Instant::now();
    let output = cmd.output()?;
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let expected = format!("{n} sent, 0 already there, 0 failed (of {n})");
    if !output.status.success() || !stdout.contains(&expected) || failed_out.exists() {
        return Err(format!(
            "vipps-om --bulk failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(elapsed)
}

/// (b): token once, then the bodies with `concurrency` tasks in flight.
async fn run_plain(
    base_url: &str,
    requests: Vec<(String, Vec<u8>)>,
    concurrency: usize,
) -> Result<Duration, BoxError> {
    let n = requests.len();
    let started = Instant::now();
    let http = reqwest::Client::builder().user_agent(USER_AGENT).build()?;
    let mut common = HeaderMap::new();
    common.insert(ACCEPT, HeaderValue::from_static("application/json"));
    common.insert("merchant-serial-number", HeaderValue::from_static(MSN));
    common.insert(
        "ocp-apim-subscription-key",
        HeaderValue::from_static(SUBSCRIPTION_KEY),
    );
    for (name, value) in vipps_om::SystemInfo::default().headers() {
        common.insert(
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())?,
            HeaderValue::from_str(value)?,
        );
    }
    let token: Value = {
        let r = http
            .post(format!("{base_url}/accesstoken/get"))
            .headers(common.clone())
            .header("client_id", CLIENT_ID)
            .header("client_secret", CLIENT_SECRET)
            .header(CONTENT_TYPE, "application/json")
            .body(Vec::new())
            .send()
            .await?
            .error_for_status()?;
        serde_json::from_slice(&r.bytes().await?)?
    };
    let token = token["access_token"].as_str().ok_or("no access_token")?;
    common.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    common.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));

    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    for (url, body) in requests {
        let permit = permits.clone().acquire_owned().await?;
        let request = http.post(url).headers(common.clone()).body(body);
        tasks.spawn(async move {
            let result = match request.send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    r.bytes().await.map(|_| status)
                }
                Err(e) => Err(e),
            };
            drop(permit);
            result
        });
    }
    let mut created = 0;
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined? {
            Ok(201) => created += 1,
            Ok(status) => failures.push(format!("HTTP {status}")),
            Err(e) => failures.push(e.to_string()),
        }
    }
    let elapsed = started.elapsed();
    if created != n {
        failures.truncate(5);
        return Err(
            format!("plain loop: {created} of {n} created; first failures: {failures:?}").into(),
        );
    }
    Ok(elapsed)
}

/// (d): the client library in this process, on receipts parsed and
/// checked beforehand: what `--bulk` does per receipt minus reading and
/// checking the line, and minus the process.
async fn run_library(
    base_url: &str,
    receipts: Vec<(vipps_om::OrderId, vipps_om::Receipt)>,
    concurrency: usize,
) -> Result<Duration, BoxError> {
    let n = receipts.len();
    let started = Instant::now();
    let client = vipps_om::Client::builder()
        .base_url(base_url)
        .credentials(vipps_om::Credentials::new(
            CLIENT_ID,
            CLIENT_SECRET,
            SUBSCRIPTION_KEY,
            vipps_om::MerchantSerialNumber::new(MSN)?,
        ))
        .build()?;
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    for (order_id, receipt) in receipts {
        let permit = permits.clone().acquire_owned().await?;
        let client = client.clone();
        tasks.spawn(async move {
            let result = client
                .receipts()
                .add(&vipps_om::PaymentType::Ecom, &order_id, &receipt)
                .await;
            drop(permit);
            result
        });
    }
    let mut created = 0;
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined? {
            Ok(vipps_om::Delivered::Created(_)) => created += 1,
            Ok(other) => failures.push(format!("{other:?}")),
            Err(e) => failures.push(e.to_string()),
        }
    }
    let elapsed = started.elapsed();
    if created != n {
        failures.truncate(5);
        return Err(format!(
            "library loop: {created} of {n} created; first failures: {failures:?}"
        )
        .into());
    }
    Ok(elapsed)
}

fn library_requests(
    prefix: &str,
    n: usize,
) -> Result<Vec<(vipps_om::OrderId, vipps_om::Receipt)>, BoxError> {
    (0..n)
        .map(|i| {
            Ok((
                vipps_om::OrderId::new(order_id(prefix, i))?,
                serde_json::from_value(receipt(i))?,
            ))
        })
        .collect()
}

/// The same shape as the CLI's private `BulkLine`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct BulkLine {
    order_id: String,
    #[serde(default)]
    payment_type: Option<String>,
    receipt: Value,
}

/// Single-threaded CPU time of the local steps `--bulk` takes per line
/// before the request goes out (the order of `send_line` in
/// src/commands/bulk.rs), in microseconds per receipt (median of 5 passes).
fn pieces(n: usize) -> Result<Vec<(&'static str, f64)>, BoxError> {
    use vipps_om::Validate;
    let lines: Vec<String> = (0..n)
        .map(|i| {
            json!({"orderId": order_id("pieces-", i), "paymentType": "ECOM", "receipt": receipt(i)})
                .to_string()
        })
        .collect();
    let parsed: Vec<BulkLine> = lines
        .iter()
        .map(|l| serde_json::from_str(l))
        .collect::<Result<_, _>>()?;
    let texts: Vec<String> = parsed.iter().map(|l| l.receipt.to_string()).collect();
    let models: Vec<vipps_om::Receipt> = texts
        .iter()
        .map(|t| vipps_om::parse::receipt_from_json(t.as_bytes()).map(|(r, _)| r))
        .collect::<Result<_, _>>()
        .map_err(|report| format!("the bench receipt is invalid: {report:?}"))?;

    fn time(n: usize, mut f: impl FnMut() -> Result<(), BoxError>) -> Result<f64, BoxError> {
        let mut passes = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            f()?;
            passes.push(started.elapsed().as_secs_f64() * 1e6 / n as f64);
        }
        Ok(median(&passes))
    }
    let parse_line = time(n, || {
        for l in &lines {
            std::hint::black_box(serde_json::from_str::<BulkLine>(l)?);
        }
        Ok(())
    })?;
    let to_text = time(n, || {
        for l in &parsed {
            std::hint::black_box(l.receipt.to_string());
        }
        Ok(())
    })?;
    let receipt_from_json = time(n, || {
        for t in &texts {
            std::hint::black_box(vipps_om::parse::receipt_from_json(t.as_bytes()).is_ok());
        }
        Ok(())
    })?;
    let validate = time(n, || {
        for r in &models {
            std::hint::black_box(r.validate());
        }
        Ok(())
    })?;
    let serialize = time(n, || {
        for r in &models {
            std::hint::black_box(serde_json::to_vec(r)?);
        }
        Ok(())
    })?;
    Ok(vec![
        (
            "parse the line (`BulkLine`, receipt as `serde_json::Value`)",
            parse_line,
        ),
        ("receipt `Value` back to text (`to_string`)", to_text),
        (
            "`parse::receipt_from_json` (parse + shape checks + validation)",
            receipt_from_json,
        ),
        ("`Receipt::validate` again (in `receipts().add`)", validate),
        (
            "serialize the request body (`serde_json::to_vec`)",
            serialize,
        ),
    ])
}

/// CPU time (user + system, in clock ticks) of a process from
/// `/proc/PID/stat`: its own and that of its waited-for children.
#[derive(Clone, Copy)]
struct Cpu {
    own: u64,
    children: u64,
}

impl Cpu {
    fn of(pid: &str) -> Result<Cpu, BoxError> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        let rest = stat.rsplit_once(')').ok_or("malformed stat")?.1;
        let fields: Vec<u64> = rest
            .split_whitespace()
            .skip(11)
            .take(4)
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        match fields[..] {
            [utime, stime, cutime, cstime] => Ok(Cpu {
                own: utime + stime,
                children: cutime + cstime,
            }),
            _ => Err("malformed stat".into()),
        }
    }
}

/// One verified run.
#[derive(Clone, Copy)]
struct Sample {
    per_second: f64,
    /// CPU time of the sending side (the `vipps-om` process, or this
    /// process for the in-process variants) per receipt.
    client_cpu_us: f64,
    /// CPU time of the simulator per receipt.
    sim_cpu_us: f64,
}

struct Bench {
    sim_pid: u32,
    ticks_per_second: f64,
    settings: Settings,
    dir: PathBuf,
    control: Control,
    runtime: tokio::runtime::Runtime,
    runs: usize,
    /// The orderId prefix of the latest run.
    prefix: String,
}

impl Bench {
    /// One verified run.
    fn run(&mut self, variant: Variant, concurrency: usize, n: usize) -> Result<Sample, BoxError> {
        self.runs += 1;
        let prefix = format!("run{:03}-{}-c{concurrency}-", self.runs, variant.tag());
        self.prefix = prefix.clone();
        let base_url = self.control.base_url.clone();
        self.runtime.block_on(self.control.reset())?;
        // Everything untimed is prepared before the CPU counters are read.
        let input = self.dir.join("bulk.jsonl");
        let mut plain = None;
        let mut library = None;
        match variant {
            Variant::Bulk | Variant::BulkNoValidate => write_jsonl(&input, &prefix, n)?,
            Variant::Plain => plain = Some(plain_requests(&base_url, &prefix, n)?),
            Variant::Library => library = Some(library_requests(&prefix, n)?),
        }
        let before = (Cpu::of("self")?, Cpu::of(&self.sim_pid.to_string())?);
        let elapsed = match variant {
            Variant::Bulk | Variant::BulkNoValidate => run_cli(
                &base_url,
                &self.dir,
                &input,
                n,
                concurrency,
                variant == Variant::Bulk,
            )?,
            Variant::Plain => self.runtime.block_on(run_plain(
                &base_url,
                plain.take().unwrap_or_default(),
                concurrency,
            ))?,
            Variant::Library => self.runtime.block_on(run_library(
                &base_url,
                library.take().unwrap_or_default(),
                concurrency,
            ))?,
        };
        let after = (Cpu::of("self")?, Cpu::of(&self.sim_pid.to_string())?);
        self.runtime
            .block_on(self.control.verify(n, &prefix))
            .map_err(|e| format!("run {prefix} is invalid: {e}"))?;
        let client_ticks = match variant {
            Variant::Bulk | Variant::BulkNoValidate => after.0.children - before.0.children,
            Variant::Plain | Variant::Library => after.0.own - before.0.own,
        };
        let per_receipt = |ticks: u64| ticks as f64 / self.ticks_per_second * 1e6 / n as f64;
        Ok(Sample {
            per_second: n as f64 / elapsed.as_secs_f64(),
            client_cpu_us: per_receipt(client_ticks),
            sim_cpu_us: per_receipt(after.1.own - before.1.own),
        })
    }

    /// Wall time of `vipps-om receipt add --bulk` on an empty file: process
    /// start, runtime, configuration and client; no request is sent.
    fn startup(&self) -> Result<Duration, BoxError> {
        let empty = self.dir.join("empty.jsonl");
        std::fs::write(&empty, "")?;
        let mut times = Vec::new();
        for _ in 0..11 {
            let mut cmd = cli_command(&self.control.base_url, &self.dir);
            cmd.args(["receipt", "add", "--bulk"]).arg(&empty);
            let started = Instant::now();
            let output = cmd.output()?;
            times.push(started.elapsed());
            if !output.status.success() {
                return Err(format!("empty --bulk run failed: {output:?}").into());
            }
        }
        times.sort();
        Ok(times[times.len() / 2])
    }
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn main() -> Result<(), BoxError> {
    let settings = Settings::from_env()?;
    let dir = tempfile::tempdir()?;
    let sim = Sim::start(&dir.path().join("sim.log"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let ticks_per_second = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0);
    let mut bench = Bench {
        sim_pid: sim.child.id(),
        ticks_per_second,
        control: Control {
            http: reqwest::Client::new(),
            base_url: sim.base_url.clone(),
        },
        dir: dir.path().to_owned(),
        runtime,
        runs: 0,
        prefix: String::new(),
        settings,
    };
    let n = bench.settings.receipts;
    let load_before = load_average();
    eprintln!(
        "simulator at {}; {n} receipts of 3 lines per run, {} rounds, concurrency {:?}; load average {load_before}",
        sim.base_url, bench.settings.rounds, bench.settings.concurrency
    );

    // For profilers (`perf record`): one in-process variant, 5 runs at
    // concurrency 8, no tables. (Profile `vipps-om --bulk` directly.)
    if let Ok(tag) = std::env::var("BULK_BENCH_PROFILE") {
        let variant = [Variant::Plain, Variant::Library]
            .into_iter()
            .find(|v| v.tag() == tag)
            .ok_or_else(|| format!("BULK_BENCH_PROFILE={tag:?}; use b (plain) or d (library)"))?;
        for _ in 0..5 {
            let sample = bench.run(variant, 8, n)?;
            eprintln!(
                "{}: {:.0} receipts/s, CPU µs/receipt: sender {:.0}, simulator {:.0}",
                variant.label(),
                sample.per_second,
                sample.client_cpu_us,
                sample.sim_cpu_us
            );
        }
        return Ok(());
    }

    // Warm-up (not reported): page cache, simulator allocations, sockets;
    // and a check that every variant sends the same request (method,
    // headers, body) for the same receipt.
    let mut sent: Option<Value> = None;
    for variant in [
        Variant::Bulk,
        Variant::Plain,
        Variant::BulkNoValidate,
        Variant::Library,
    ] {
        let warm_up = n.min(1_000);
        bench.run(variant, 8, warm_up)?;
        let order = order_id(&bench.prefix, warm_up - 1);
        let mut request = bench
            .runtime
            .block_on(bench.control.logged_receipt(&order))?;
        request["path"] = json!(order.replace(&bench.prefix, ""));
        match &sent {
            None => sent = Some(request),
            Some(first) if *first == request => {}
            Some(first) => {
                return Err(format!(
                    "{} sends another request than {}:\n{request:#}\n{first:#}",
                    variant.label(),
                    Variant::Bulk.label()
                )
                .into());
            }
        }
    }
    let startup = bench.startup()?;

    let variants = [
        Variant::Bulk,
        Variant::Plain,
        Variant::BulkNoValidate,
        Variant::Library,
    ];
    let concurrency = bench.settings.concurrency.clone();
    let mut results: Vec<Vec<Vec<Sample>>> =
        vec![vec![Vec::new(); variants.len()]; concurrency.len()];
    for round in 0..bench.settings.rounds {
        for (ci, &c) in concurrency.iter().enumerate() {
            let mut order: Vec<usize> = (0..variants.len()).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            for vi in order {
                let sample = bench.run(variants[vi], c, n)?;
                eprintln!(
                    "round {} concurrency {c:>2} {:<30} {:>8.0} receipts/s (verified), CPU µs/receipt: sender {:.0}, simulator {:.0}",
                    round + 1,
                    variants[vi].label(),
                    sample.per_second,
                    sample.client_cpu_us,
                    sample.sim_cpu_us,
                );
                results[ci][vi].push(sample);
            }
        }
    }
    drop(sim);
    let load_after = load_average();
    let pieces = pieces(n)?;

    println!();
    println!(
        "{n} receipts (3 order lines each) per run, median of {} runs per cell; every run verified \
         against the simulator's counters and stored orders (no failures). Load average before {load_before}, after {load_after}.",
        bench.settings.rounds
    );
    println!(
        "vipps-om wall times include process start-up: {:.1} ms median for an empty --bulk file.",
        startup.as_secs_f64() * 1e3
    );
    println!();
    println!(
        "| concurrency | vipps-om --bulk | plain reqwest | --bulk / plain | --bulk --no-validate | vipps_om::Client in-process |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let med = |ci: usize, vi: usize, f: fn(&Sample) -> f64| {
        median(&results[ci][vi].iter().map(f).collect::<Vec<_>>())
    };
    for (ci, c) in concurrency.iter().enumerate() {
        let m: Vec<f64> = (0..variants.len())
            .map(|vi| med(ci, vi, |s| s.per_second))
            .collect();
        println!(
            "| {c} | {:.0} | {:.0} | {:.2} | {:.0} | {:.0} |",
            m[0],
            m[1],
            m[0] / m[1],
            m[2],
            m[3]
        );
    }
    println!();
    println!(
        "CPU time per receipt (µs, medians; sender = the vipps-om process or this process, simulator = the sim process):"
    );
    println!();
    println!("| concurrency | variant | receipts/s | sender CPU | simulator CPU |");
    println!("|---:|---|---:|---:|---:|");
    for (ci, c) in concurrency.iter().enumerate() {
        for (vi, variant) in variants.iter().enumerate() {
            println!(
                "| {c} | {} | {:.0} | {:.0} | {:.0} |",
                variant.label(),
                med(ci, vi, |s| s.per_second),
                med(ci, vi, |s| s.client_cpu_us),
                med(ci, vi, |s| s.sim_cpu_us)
            );
        }
    }
    println!();
    println!("All runs (receipts/s, in order):");
    println!();
    println!("| concurrency | variant | runs |");
    println!("|---:|---|---|");
    for (ci, c) in concurrency.iter().enumerate() {
        for (vi, variant) in variants.iter().enumerate() {
            let runs: Vec<String> = results[ci][vi]
                .iter()
                .map(|r| format!("{:.0}", r.per_second))
                .collect();
            println!("| {c} | {} | {} |", variant.label(), runs.join(", "));
        }
    }
    println!();
    println!("Local work of --bulk per receipt, one thread (µs):");
    println!();
    println!("| step | µs/receipt |");
    println!("|---|---:|");
    let mut total = 0.0;
    for (step, micros) in &pieces {
        total += micros;
        println!("| {step} | {micros:.1} |");
    }
    println!("| total | {total:.1} |");
    Ok(())
}
