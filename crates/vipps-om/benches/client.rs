//! What the client costs on top of plain HTTP, measured against an
//! in-process server on 127.0.0.1 (no network, no TLS), in one run:
//!
//! 1. **Per-request latency and throughput** of `client.receipts().add`
//!    (with and without validation) and `client.orders().get`, side by side
//!    with a bare `reqwest::Client` loop that sends the same requests with
//!    the same headers and body (body serialized once, token fetched once),
//!    in alternating rounds, sequentially and with 8 concurrent tasks.
//! 2. **Validation and building** of a 100-line receipt.
//! 3. **Token single flight**: 1,000 concurrent `orders().get` calls on a
//!    fresh client; the server counts the token requests.
//! 4. **The pieces** of the client's per-request work, timed alone, to
//!    explain the difference.
//!
//! Run: `cargo bench -p vipps-om --bench client`. Prints markdown tables.
//! Numbers are machine-dependent; BENCHMARKS.md records one run.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{
    Amount, Client, Credentials, Currency, Delivered, MerchantSerialNumber, OrderId,
    OrderV2Response, PaymentType, QuantityUnit, Receipt, SystemInfo, TaxRate, Validate,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Sequential requests per variant per round.
const SEQ_PER_ROUND: usize = 400;
/// Requests per variant per round with 8 tasks (100 each).
const CONC_PER_ROUND: usize = 800;
const TASKS: usize = 8;
/// Measured rounds (after one warm-up round).
const ROUNDS: usize = 25;
/// Concurrent calls on a fresh client for the token test, and repetitions.
const TOKEN_CALLS: usize = 1_000;
const TOKEN_RUNS: usize = 5;

// ------------------------------------------------------------------ server

#[derive(Default)]
struct Counters {
    tokens: AtomicU64,
    receipts: AtomicU64,
    orders: AtomicU64,
}

const TOKEN_JSON: &str = r#"{"access_token":"x","expires_in":3600}"#;
const RECEIPT_ID_JSON: &str = r#""16328cb8-d769-4c53-90ad-e19777823f0a""#;
const ORDER_JSON: &str = r#"{"category":{"category":"RECEIPT","orderDetailsUrl":"https://example.com/orders/1001"},"receipt":{"orderLines":[{"name":"Wool socks","id":"sku-1","totalAmount":29800,"totalAmountExcludingTax":23840,"totalTaxAmount":5960,"taxRate":2500,"unitInfo":{"unitPrice":14900,"quantity":"2"}}],"bottomLine":{"currency":"NOK","receiptNumber":"10042"}}}"#;

async fn token(State(c): State<Arc<Counters>>) -> impl IntoResponse {
    c.tokens.fetch_add(1, Ordering::Relaxed);
    ([(header::CONTENT_TYPE, "application/json")], TOKEN_JSON)
}

async fn add_receipt(
    State(c): State<Arc<Counters>>,
    Path(_order_id): Path<String>,
    body: Bytes,
) -> impl IntoResponse {
    c.receipts.fetch_add(1, Ordering::Relaxed);
    black_box(body.len());
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        RECEIPT_ID_JSON,
    )
}

async fn get_order(
    State(c): State<Arc<Counters>>,
    Path(_order_id): Path<String>,
) -> impl IntoResponse {
    c.orders.fetch_add(1, Ordering::Relaxed);
    ([(header::CONTENT_TYPE, "application/json")], ORDER_JSON)
}

/// Starts the server on its own thread with a one-worker runtime, so the
/// server and the measured client each have one of the two cores. The
/// thread ends with the process.
fn start_server(counters: Arc<Counters>) -> Result<SocketAddr, BoxError> {
    let app = Router::new()
        .route("/accesstoken/get", post(token))
        .route(
            "/order-management/v2/ecom/receipts/{order_id}",
            post(add_receipt),
        )
        .route("/order-management/v2/ecom/{order_id}", get(get_order))
        .with_state(counters);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let bound = tokio::net::TcpListener::bind("127.0.0.1:0").await;
            let listener = match bound {
                Ok(l) => l,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            let _ = tx.send(listener.local_addr().map_err(|e| e.to_string()));
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("bench server stopped: {e}");
            }
        });
    });
    Ok(rx.recv()??)
}

// ------------------------------------------------------------------ clients

const CLIENT_ID: &str = "bench-client";
const CLIENT_SECRET: &str = "bench-secret";
const SUBSCRIPTION_KEY: &str = "bench-subscription-key";
const MSN: &str = "123456";

fn vipps_client(addr: SocketAddr) -> Result<Client, BoxError> {
    Ok(Client::builder()
        .base_url(&format!("http://{addr}"))
        .credentials(Credentials::new(
            CLIENT_ID,
            CLIENT_SECRET,
            SUBSCRIPTION_KEY,
            MerchantSerialNumber::new(MSN)?,
        ))
        .build()?)
}

/// The hand-written baseline: same reqwest settings, same headers, body
/// serialized once, token fetched once.
struct Bare {
    http: reqwest::Client,
    post_headers: HeaderMap,
    get_headers: HeaderMap,
    receipt_url: String,
    order_url: String,
    body: Bytes,
}

impl Bare {
    async fn new(
        addr: SocketAddr,
        order_id: &OrderId,
        receipt: &Receipt,
    ) -> Result<Bare, BoxError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(5))
            .user_agent("vipps-om-bench/bare")
            .build()?;
        let base = format!("http://{addr}");
        let token: serde_json::Value = http
            .post(format!("{base}/accesstoken/get"))
            .header("client_id", CLIENT_ID)
            .header("client_secret", CLIENT_SECRET)
            .header("Ocp-Apim-Subscription-Key", SUBSCRIPTION_KEY)
            .header("Merchant-Serial-Number", MSN)
            .send()
            .await?
            .json()
            .await?;
        let access_token = token["access_token"].as_str().ok_or("no access_token")?;

        let mut get_headers = HeaderMap::new();
        get_headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        get_headers.insert("merchant-serial-number", HeaderValue::from_static(MSN));
        get_headers.insert(
            "ocp-apim-subscription-key",
            HeaderValue::from_static(SUBSCRIPTION_KEY),
        );
        let system = SystemInfo::default();
        for (name, value) in system.headers() {
            get_headers.insert(
                HeaderName::from_bytes(name.as_bytes())?,
                HeaderValue::from_str(value)?,
            );
        }
        get_headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {access_token}"))?,
        );
        let mut post_headers = get_headers.clone();
        post_headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(Bare {
            http,
            post_headers,
            get_headers,
            receipt_url: format!("{base}/order-management/v2/ecom/receipts/{order_id}"),
            order_url: format!("{base}/order-management/v2/ecom/{order_id}"),
            body: Bytes::from(serde_json::to_vec(receipt)?),
        })
    }

    /// POST the receipt (`body`, or the one serialized up front); read the
    /// id string like the client does.
    async fn add_receipt(&self, body: Option<Bytes>) -> Result<(), BoxError> {
        let response = self
            .http
            .post(&self.receipt_url)
            .headers(self.post_headers.clone())
            .body(body.unwrap_or_else(|| self.body.clone()))
            .send()
            .await?;
        if response.status() != StatusCode::CREATED {
            return Err(format!("bare receipt: {}", response.status()).into());
        }
        let body = response.bytes().await?;
        black_box(serde_json::from_slice::<String>(&body)?);
        Ok(())
    }

    /// GET the order and decode it, as any caller must.
    async fn get_order(&self) -> Result<(), BoxError> {
        let response = self
            .http
            .get(&self.order_url)
            .headers(self.get_headers.clone())
            .send()
            .await?;
        if response.status() != StatusCode::OK {
            return Err(format!("bare order: {}", response.status()).into());
        }
        let body = response.bytes().await?;
        black_box(serde_json::from_slice::<OrderV2Response>(&body)?);
        Ok(())
    }
}

struct Ctx {
    client: Client,
    bare: Bare,
    order_id: OrderId,
    receipt: Receipt,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    BareReceipt,
    BareReceiptSerializing,
    ClientReceipt,
    ClientReceiptNoValidation,
    BareGet,
    ClientGet,
}

const OPS: [Op; 6] = [
    Op::BareReceipt,
    Op::BareReceiptSerializing,
    Op::ClientReceipt,
    Op::ClientReceiptNoValidation,
    Op::BareGet,
    Op::ClientGet,
];

impl Op {
    /// The name used by `VIPPS_OM_BENCH_PROFILE`.
    fn key(self) -> &'static str {
        match self {
            Op::BareReceipt => "bare-receipt",
            Op::BareReceiptSerializing => "bare-receipt-serializing",
            Op::ClientReceipt => "client-receipt",
            Op::ClientReceiptNoValidation => "client-receipt-unvalidated",
            Op::BareGet => "bare-get",
            Op::ClientGet => "client-get",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Op::BareReceipt => "bare reqwest POST receipt",
            Op::BareReceiptSerializing => "bare reqwest POST, `to_vec` per request",
            Op::ClientReceipt => "`receipts().add` (validated)",
            Op::ClientReceiptNoValidation => "`receipts().without_validation().add`",
            Op::BareGet => "bare reqwest GET order",
            Op::ClientGet => "`orders().get`",
        }
    }

    fn baseline(self) -> Op {
        match self {
            Op::BareReceipt
            | Op::BareReceiptSerializing
            | Op::ClientReceipt
            | Op::ClientReceiptNoValidation => Op::BareReceipt,
            Op::BareGet | Op::ClientGet => Op::BareGet,
        }
    }

    async fn run(self, ctx: &Ctx) -> Result<(), BoxError> {
        let ecom = PaymentType::Ecom;
        match self {
            Op::BareReceipt => ctx.bare.add_receipt(None).await,
            Op::BareReceiptSerializing => {
                let body = Bytes::from(serde_json::to_vec(&ctx.receipt)?);
                ctx.bare.add_receipt(Some(body)).await
            }
            Op::BareGet => ctx.bare.get_order().await,
            Op::ClientReceipt => {
                let done = ctx
                    .client
                    .receipts()
                    .add(&ecom, &ctx.order_id, &ctx.receipt)
                    .await?;
                expect_created(done)
            }
            Op::ClientReceiptNoValidation => {
                let done = ctx
                    .client
                    .receipts()
                    .without_validation()
                    .add(&ecom, &ctx.order_id, &ctx.receipt)
                    .await?;
                expect_created(done)
            }
            Op::ClientGet => {
                black_box(ctx.client.orders().get(&ecom, &ctx.order_id).await?);
                Ok(())
            }
        }
    }
}

fn expect_created(done: Delivered<Option<String>>) -> Result<(), BoxError> {
    match done {
        Delivered::Created(Some(id)) => {
            black_box(id);
            Ok(())
        }
        other => Err(format!("unexpected outcome {other:?}").into()),
    }
}

// ------------------------------------------------------------------ stats

#[derive(Default)]
struct Samples {
    /// Per-request latency in nanoseconds.
    latencies: Vec<u64>,
    requests: usize,
    busy: Duration,
    /// CPU time of the client's thread (it runs every client task), when
    /// the OS tells it.
    cpu_ns: Option<u64>,
}

/// CPU time the calling thread has used, in nanoseconds (Linux only).
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// Adds the CPU used since `before` to `into`.
fn add_cpu(into: &mut Samples, before: Option<u64>) {
    if let (Some(before), Some(after)) = (before, thread_cpu_ns()) {
        into.cpu_ns = Some(into.cpu_ns.unwrap_or(0) + after.saturating_sub(before));
    }
}

impl Samples {
    fn sorted(&self) -> Vec<u64> {
        let mut v = self.latencies.clone();
        v.sort_unstable();
        v
    }
    fn median_us(&self) -> f64 {
        percentile(&self.sorted(), 50.0)
    }
    fn p95_us(&self) -> f64 {
        percentile(&self.sorted(), 95.0)
    }
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.busy.as_secs_f64()
    }
    fn cpu_us_per_request(&self) -> f64 {
        self.cpu_ns
            .map_or(f64::NAN, |ns| ns as f64 / 1_000.0 / self.requests as f64)
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)] as f64 / 1_000.0
}

fn pct(value: f64, base: f64) -> String {
    format!("{:+.1} %", (value / base - 1.0) * 100.0)
}

// ------------------------------------------------------------------ part 1

async fn sequential(ctx: &Ctx, op: Op, n: usize, into: &mut Samples) -> Result<(), BoxError> {
    let cpu = thread_cpu_ns();
    let started = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        op.run(ctx).await?;
        into.latencies.push(t.elapsed().as_nanos() as u64);
    }
    into.busy += started.elapsed();
    add_cpu(into, cpu);
    into.requests += n;
    Ok(())
}

async fn concurrent(ctx: &Arc<Ctx>, op: Op, n: usize, into: &mut Samples) -> Result<(), BoxError> {
    let cpu = thread_cpu_ns();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(TASKS);
    for _ in 0..TASKS {
        let ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(n / TASKS);
            for _ in 0..n / TASKS {
                let t = Instant::now();
                op.run(&ctx).await?;
                latencies.push(t.elapsed().as_nanos() as u64);
            }
            Ok::<_, BoxError>(latencies)
        }));
    }
    for task in tasks {
        into.latencies.extend(task.await??);
    }
    into.busy += started.elapsed();
    add_cpu(into, cpu);
    into.requests += n / TASKS * TASKS;
    Ok(())
}

async fn part1(ctx: Arc<Ctx>) -> Result<String, BoxError> {
    let mut seq: Vec<Samples> = OPS.iter().map(|_| Samples::default()).collect();
    let mut conc: Vec<Samples> = OPS.iter().map(|_| Samples::default()).collect();
    // Warm-up: connections, token, allocator, caches.
    for op in OPS {
        sequential(&ctx, op, SEQ_PER_ROUND / 4, &mut Samples::default()).await?;
        concurrent(&ctx, op, CONC_PER_ROUND / 4, &mut Samples::default()).await?;
    }
    for round in 0..ROUNDS {
        // Rotate the order so no variant always runs first or last.
        for k in 0..OPS.len() {
            let i = (round + k) % OPS.len();
            sequential(&ctx, OPS[i], SEQ_PER_ROUND, &mut seq[i]).await?;
        }
        for k in 0..OPS.len() {
            let i = (round + k) % OPS.len();
            concurrent(&ctx, OPS[i], CONC_PER_ROUND, &mut conc[i]).await?;
        }
    }
    let index = |op: Op| OPS.iter().position(|o| *o == op).unwrap_or(0);
    let mut out = String::new();
    for (title, per_round, samples) in [
        ("sequential (one request at a time)", SEQ_PER_ROUND, &seq),
        ("8 concurrent tasks", CONC_PER_ROUND, &conc),
    ] {
        out.push_str(&format!(
            "\n#### {title}: {ROUNDS} rounds × {per_round} requests per variant\n\n"
        ));
        out.push_str("| variant | median µs | p95 µs | requests/s | client CPU µs/request | median vs bare | p95 vs bare | throughput vs bare | client CPU vs bare |\n");
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for op in OPS {
            let s = &samples[index(op)];
            let base = &samples[index(op.baseline())];
            let versus = if op == op.baseline() {
                "— | — | — | —".to_owned()
            } else {
                format!(
                    "{} | {} | {} | {}",
                    pct(s.median_us(), base.median_us()),
                    pct(s.p95_us(), base.p95_us()),
                    pct(s.per_second(), base.per_second()),
                    pct(s.cpu_us_per_request(), base.cpu_us_per_request()),
                )
            };
            out.push_str(&format!(
                "| {} | {:.1} | {:.1} | {:.0} | {:.1} | {versus} |\n",
                op.label(),
                s.median_us(),
                s.p95_us(),
                s.per_second(),
                s.cpu_us_per_request(),
            ));
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ part 2

/// A 100-line receipt as a shop would build it: mixed tax rates,
/// quantities, units, discounts, a return and shipping.
fn hundred_lines() -> ReceiptBuilder {
    let rates = [2500, 1500, 1200, 0];
    let quantities = ["1", "2", "0.822", "3"];
    let mut builder = ReceiptBuilder::new(Currency::Nok)
        .receipt_number("10042")
        .pos_id("pos-1");
    for i in 0..99_usize {
        let mut line = LineBuilder::new(format!("sku-{i}"), format!("Product number {i}"))
            .unit_price(Amount::minor(1_000 + 37 * i as i64))
            .quantity(quantities[i % 4])
            .tax_rate(TaxRate::new(rates[i % 4]).expect("rates below 100 %"))
            .product_url(format!("https://shop.example/p/{i}"));
        if i % 4 == 2 {
            line = line.unit(QuantityUnit::Kg);
        }
        if i % 10 == 3 {
            line = line.discount(Amount::minor(100));
        }
        if i == 50 {
            line = line.returned();
        }
        builder = builder.line(line);
    }
    builder.shipping(
        "Home delivery",
        Amount::minor(9_900),
        TaxRate::from_percent(25),
    )
}

/// Median and minimum nanoseconds per call of `f` over `samples` batches.
fn time_ns(iters: usize, samples: usize, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..iters.div_ceil(5) {
        f();
    }
    let mut per_call: Vec<f64> = (0..samples)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    (per_call[per_call.len() / 2], per_call[0])
}

fn part2() -> Result<String, BoxError> {
    let receipt = hundred_lines()
        .build()
        .map_err(|e| format!("the 100-line receipt is invalid: {e}"))?;
    if receipt.order_lines.len() != 100 {
        return Err("expected 100 lines".into());
    }
    let body = serde_json::to_vec(&receipt)?;
    let mut out =
        String::from("\n| operation (100-line receipt) | median µs | min µs |\n|---|---:|---:|\n");
    let mut row = |name: &str, (median, min): (f64, f64)| {
        out.push_str(&format!(
            "| {name} | {:.1} | {:.1} |\n",
            median / 1_000.0,
            min / 1_000.0
        ));
    };
    row(
        "`Validate::validate`",
        time_ns(2_000, 21, || {
            black_box(black_box(&receipt).validate());
        }),
    );
    row(
        "`ReceiptBuilder` … `.build()` (100 `LineBuilder`s, computes amounts, validates)",
        time_ns(1_000, 21, || {
            black_box(hundred_lines().build().ok());
        }),
    );
    row(
        "`serde_json::to_vec` (request body, for scale)",
        time_ns(2_000, 21, || {
            black_box(serde_json::to_vec(black_box(&receipt)).ok());
        }),
    );
    out.push_str(&format!(
        "\nThe 100-line body is {} bytes of JSON.\n",
        body.len()
    ));
    Ok(out)
}

// ------------------------------------------------------------------ part 3

async fn part3(addr: SocketAddr, counters: &Counters) -> Result<String, BoxError> {
    let order_id = OrderId::new("order-1001")?;
    let mut out = String::from(
        "\n| run | concurrent `orders().get` | token requests seen by the server | wall time ms | failed calls |\n|---:|---:|---:|---:|---:|\n",
    );
    let mut all_single = true;
    for run in 1..=TOKEN_RUNS {
        let client = vipps_client(addr)?;
        let before = counters.tokens.load(Ordering::SeqCst);
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(TOKEN_CALLS);
        for _ in 0..TOKEN_CALLS {
            let client = client.clone();
            let order_id = order_id.clone();
            tasks.push(tokio::spawn(async move {
                client.orders().get(&PaymentType::Ecom, &order_id).await
            }));
        }
        let mut failed = 0;
        for task in tasks {
            if !matches!(task.await, Ok(Ok(_))) {
                failed += 1;
            }
        }
        let wall = started.elapsed();
        let tokens = counters.tokens.load(Ordering::SeqCst) - before;
        all_single &= tokens == 1 && failed == 0;
        out.push_str(&format!(
            "| {run} | {TOKEN_CALLS} | {tokens} | {:.1} | {failed} |\n",
            wall.as_secs_f64() * 1_000.0
        ));
    }
    if !all_single {
        return Err(format!("single flight broken or calls failed:\n{out}").into());
    }
    Ok(out)
}

// ------------------------------------------------------------------ part 4

/// The client's per-request steps that the bare loop does not do (or does
/// differently), each timed alone, in nanoseconds.
fn part4(receipt: &Receipt) -> Result<String, BoxError> {
    let system = SystemInfo::default();
    let mut common = HeaderMap::new();
    common.insert(ACCEPT, HeaderValue::from_static("application/json"));
    common.insert("merchant-serial-number", HeaderValue::from_static(MSN));
    let mut key = HeaderValue::from_static(SUBSCRIPTION_KEY);
    key.set_sensitive(true);
    common.insert("ocp-apim-subscription-key", key);
    for (name, value) in system.headers() {
        common.insert(
            HeaderName::from_bytes(name.as_bytes())?,
            HeaderValue::from_str(value)?,
        );
    }
    let body = serde_json::to_vec(receipt)?;
    let order_id = OrderId::new("order-1001")?;
    let token: Mutex<Option<Arc<(String, Instant)>>> = Mutex::new(Some(Arc::new((
        "x".to_owned(),
        Instant::now() + Duration::from_secs(3600),
    ))));
    let mut response_headers = HeaderMap::new();
    response_headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response_headers.insert("content-length", HeaderValue::from_static("38"));
    response_headers.insert(
        "date",
        HeaderValue::from_static("Thu, 01 Jan 2026 00:00:00 GMT"),
    );
    let order_bytes = ORDER_JSON.as_bytes();

    let mut out = String::from(
        "\n| step (3-line receipt, per request) | median ns | in the bare loop? |\n|---|---:|---|\n",
    );
    let mut row = |name: &str, bare: &str, (median, _): (f64, f64)| {
        out.push_str(&format!("| {name} | {median:.0} | {bare} |\n"));
    };
    const N: usize = 20_000;
    row(
        "`Validate::validate` of the receipt",
        "no",
        time_ns(N, 15, || {
            black_box(black_box(receipt).validate());
        }),
    );
    row(
        "`serde_json::to_vec` of the receipt",
        "no (serialized once)",
        time_ns(N, 15, || {
            black_box(serde_json::to_vec(black_box(receipt)).ok());
        }),
    );
    row(
        "copy of the body `Vec<u8>` per attempt (`body.clone()`)",
        "no (`Bytes` refcount)",
        time_ns(N, 15, || {
            black_box(black_box(&body).clone());
        }),
    );
    row(
        "path and URL `format!`",
        "no (built once)",
        time_ns(N, 15, || {
            let path = format!(
                "/order-management/v2/{}/receipts/{}",
                "ecom",
                black_box(&order_id)
            );
            black_box(format!("{}{}", "http://127.0.0.1:8080", path));
        }),
    );
    row(
        "`HeaderMap` clone (7 common headers)",
        "yes (9 headers)",
        time_ns(N, 15, || {
            black_box(black_box(&common).clone());
        }),
    );
    row(
        "token cache read (mutex, expiry check, `Arc` clone)",
        "no",
        time_ns(N, 15, || {
            let guard = token.lock().unwrap_or_else(|e| e.into_inner());
            black_box(guard.as_ref().filter(|t| Instant::now() < t.1).cloned());
        }),
    );
    row(
        "`Bearer` header: `format!` + `HeaderValue::from_str`",
        "no (built once)",
        time_ns(N, 15, || {
            let mut v = HeaderValue::from_str(&format!("Bearer {}", black_box("x")))
                .unwrap_or(HeaderValue::from_static(""));
            v.set_sensitive(true);
            black_box(v);
        }),
    );
    row(
        "`tracing::info_span!` with 6 fields (no subscriber)",
        "no",
        time_ns(N, 15, || {
            let span = tracing::info_span!(
                "vipps_om.call",
                endpoint = "POST /v2/{paymentType}/receipts/{orderId}",
                payment_type = "ecom",
                order_id = "order-1001",
                status = tracing::field::Empty,
                attempt = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            black_box(span);
        }),
    );
    row(
        "response `HeaderMap` clone (3 headers)",
        "no",
        time_ns(N, 15, || {
            black_box(black_box(&response_headers).clone());
        }),
    );
    row(
        "decode the order with `serde_path_to_error`",
        "no",
        time_ns(N, 15, || {
            let mut de = serde_json::Deserializer::from_slice(black_box(order_bytes));
            black_box(serde_path_to_error::deserialize::<_, OrderV2Response>(&mut de).ok());
        }),
    );
    row(
        "decode the order with plain `serde_json::from_slice`",
        "yes",
        time_ns(N, 15, || {
            black_box(serde_json::from_slice::<OrderV2Response>(black_box(order_bytes)).ok());
        }),
    );
    Ok(out)
}

// ------------------------------------------------------------------ main

fn small_receipt() -> Result<Receipt, BoxError> {
    ReceiptBuilder::new(Currency::Nok)
        .line(
            LineBuilder::new("sku-1", "Wool socks")
                .unit_price(Amount::minor(14_900))
                .quantity("2")
                .tax_rate(TaxRate::from_percent(25)),
        )
        .line(
            LineBuilder::new("sku-2", "Coffee beans")
                .unit_price(Amount::minor(12_900))
                .quantity("0.5")
                .unit(QuantityUnit::Kg)
                .tax_rate(TaxRate::from_percent(15)),
        )
        .shipping(
            "Home delivery",
            Amount::minor(9_900),
            TaxRate::from_percent(25),
        )
        .receipt_number("10042")
        .build()
        .map_err(|e| format!("the bench receipt is invalid: {e}").into())
}

fn main() -> Result<(), BoxError> {
    let counters = Arc::new(Counters::default());
    let addr = start_server(counters.clone())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    let receipt = small_receipt()?;
    let order_id = OrderId::new("order-1001")?;

    // For profilers (`perf record`): one variant only, 8 tasks, no tables.
    if let Ok(key) = std::env::var("VIPPS_OM_BENCH_PROFILE") {
        let op = OPS.into_iter().find(|op| op.key() == key).ok_or_else(|| {
            let keys: Vec<_> = OPS.iter().map(|o| o.key()).collect();
            format!("VIPPS_OM_BENCH_PROFILE={key:?}; use one of {keys:?}")
        })?;
        return runtime.block_on(async {
            let ctx = Arc::new(Ctx {
                client: vipps_client(addr)?,
                bare: Bare::new(addr, &order_id, &receipt).await?,
                order_id: order_id.clone(),
                receipt: receipt.clone(),
            });
            let mut samples = Samples::default();
            for _ in 0..ROUNDS * 4 {
                concurrent(&ctx, op, CONC_PER_ROUND, &mut samples).await?;
            }
            println!(
                "{}: {} requests, {:.0} requests/s",
                op.label(),
                samples.requests,
                samples.per_second()
            );
            Ok(())
        });
    }
    let (table1, table3) = runtime.block_on(async {
        let ctx = Arc::new(Ctx {
            client: vipps_client(addr)?,
            bare: Bare::new(addr, &order_id, &receipt).await?,
            order_id: order_id.clone(),
            receipt: receipt.clone(),
        });
        let table1 = part1(ctx).await?;
        let table3 = part3(addr, &counters).await?;
        Ok::<_, BoxError>((table1, table3))
    })?;
    let table2 = part2()?;
    let table4 = part4(&receipt)?;

    println!("## vipps-om client benchmarks\n");
    println!(
        "Server: axum on 127.0.0.1 (HTTP/1.1, one worker thread). Client: current-thread tokio runtime. \
         Receipt: 3 lines ({} bytes of JSON). Order response: {} bytes.",
        serde_json::to_vec(&receipt)?.len(),
        ORDER_JSON.len()
    );
    println!("\n### 1. Client vs bare reqwest, same server, alternating rounds\n{table1}");
    println!("\n### 2. Validation and building\n{table2}");
    println!("\n### 3. Token requests under concurrency (fresh client each run)\n{table3}");
    println!("\n### 4. The client's per-request steps, timed alone\n{table4}");
    println!(
        "\nServer totals: {} token, {} receipt, {} order requests.",
        counters.tokens.load(Ordering::SeqCst),
        counters.receipts.load(Ordering::SeqCst),
        counters.orders.load(Ordering::SeqCst)
    );
    Ok(())
}
