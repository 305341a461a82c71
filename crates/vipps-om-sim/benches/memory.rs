//! Memory per stored order (issue 4; results in `BENCHMARKS.md`).
//!
//! Stores 100,000 orders, each with the 3-line receipt in
//! `receipt-3-lines.json`, through the real code path: every receipt is a
//! `POST /order-management/v2/ecom/receipts/{orderId}` sent to
//! [`vipps_om_sim::app`] with `tower::ServiceExt::oneshot`, with a token
//! fetched from `POST /accesstoken/get` (so authentication, validation,
//! the request log and the counters all run as they do on a socket).
//!
//! Memory is the process's resident set (`VmRSS` in `/proc/self/status`)
//! after a warm-up of 10,000 orders (which also fills the request log to
//! its 1,000 entries, so the log's fixed cost is not counted), and again
//! after the 100,000 measured orders. The growth divided by 100,000 is
//! the cost of one stored order, allocator overhead and hash-table slack
//! included. A current-thread runtime keeps every allocation in one
//! malloc arena.
//!
//! `cargo bench -p vipps-om-sim --bench memory` prints the result; the
//! line starting with `MEMORY_RESULT` is for `bench/sim.sh`. Run without
//! `--bench` (as `cargo test --benches` does) it stores 1,000 orders only,
//! as a smoke test.

use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use vipps_om_sim::{Route, SimState, Simulator};

type BoxError = Box<dyn std::error::Error>;

/// The receipt every order gets (also sent by `bench/sim.sh`).
const RECEIPT: &str = include_str!("receipt-3-lines.json");
const WARM_UP: usize = 10_000;
const ORDERS: usize = 100_000;
const SMOKE_ORDERS: usize = 1_000;
/// The target, bytes per stored order.
const TARGET_BYTES: f64 = 2048.0;

fn main() -> Result<(), BoxError> {
    let full = std::env::args().any(|arg| arg == "--bench");
    let (warm_up, orders) = if full {
        (WARM_UP, ORDERS)
    } else {
        (SMOKE_ORDERS / 10, SMOKE_ORDERS)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(warm_up, orders, full))
}

struct Bench {
    app: axum::Router,
    token: String,
    subscription_key: String,
    msn: String,
}

async fn run(warm_up: usize, orders: usize, full: bool) -> Result<(), BoxError> {
    let state = SimState::new(&Simulator::default());
    let demo = state.demo_merchant().clone();
    let app = vipps_om_sim::app(state.clone());
    let token = fetch_token(
        &app,
        demo.client_id(),
        demo.client_secret(),
        demo.subscription_key(),
    )
    .await?;
    let bench = Bench {
        app,
        token,
        subscription_key: demo.subscription_key().to_owned(),
        msn: demo.merchant_serial_number().to_string(),
    };

    for i in 0..warm_up {
        bench.post_receipt(&format!("warm-up-{i}")).await?;
    }
    let before = rss_bytes()?;
    let started = Instant::now();
    for i in 0..orders {
        bench.post_receipt(&format!("order-{i:06}")).await?;
    }
    let elapsed = started.elapsed();
    let after = rss_bytes()?;

    // Everything was stored, and reads back.
    let created = state.counters().count(Route::AddReceipt, 201);
    let expected = u64::try_from(warm_up + orders)?;
    if created != expected {
        return Err(format!("{created} receipts stored, expected {expected}").into());
    }
    let stored_json = bench.get_order("order-000000").await?;

    let grown = after.saturating_sub(before);
    let per_order = grown as f64 / orders as f64;
    println!("Memory per stored order (3-line receipt), through POST receipts:");
    println!("  orders stored:        {orders} (after a warm-up of {warm_up})");
    println!(
        "  insert rate:          {:.0} orders/s (one task, in-process)",
        orders as f64 / elapsed.as_secs_f64()
    );
    println!("  request body:         {} bytes", RECEIPT.len());
    println!(
        "  GET answer:           {} bytes ({{\"receipt\": ...}}, as stored)",
        stored_json
    );
    println!(
        "  RSS before / after:   {:.1} MiB / {:.1} MiB",
        before as f64 / 1_048_576.0,
        after as f64 / 1_048_576.0
    );
    println!("  RSS growth per order: {per_order:.0} bytes");
    if !full {
        println!(
            "  (smoke run: too few orders for a meaningful figure; `cargo bench` runs 100,000)"
        );
        return Ok(());
    }
    println!(
        "  target:               < {TARGET_BYTES:.0} bytes: {}",
        if per_order < TARGET_BYTES {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "MEMORY_RESULT orders={orders} rss_before={before} rss_after={after} bytes_per_order={per_order:.0} get_bytes={stored_json}"
    );
    Ok(())
}

async fn fetch_token(
    app: &axum::Router,
    client_id: &str,
    client_secret: &str,
    subscription_key: &str,
) -> Result<String, BoxError> {
    let request = Request::post("/accesstoken/get")
        .header("client_id", client_id)
        .header("client_secret", client_secret)
        .header("Ocp-Apim-Subscription-Key", subscription_key)
        .body(Body::empty())?;
    let response = app.clone().oneshot(request).await?;
    if response.status() != StatusCode::OK {
        return Err(format!("token request answered {}", response.status()).into());
    }
    let body = to_bytes(response.into_body(), 64 * 1024).await?;
    let json: serde_json::Value = serde_json::from_slice(&body)?;
    json["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "no access_token in the token answer".into())
}

impl Bench {
    fn request(&self, method: &str, path: &str, body: Body) -> Result<Request<Body>, BoxError> {
        Ok(Request::builder()
            .method(method)
            .uri(path)
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Ocp-Apim-Subscription-Key", &self.subscription_key)
            .header("Merchant-Serial-Number", &self.msn)
            .header("Content-Type", "application/json")
            .body(body)?)
    }

    async fn post_receipt(&self, order_id: &str) -> Result<(), BoxError> {
        let request = self.request(
            "POST",
            &format!("/order-management/v2/ecom/receipts/{order_id}"),
            Body::from(RECEIPT),
        )?;
        let response = self.app.clone().oneshot(request).await?;
        let status = response.status();
        if status != StatusCode::CREATED {
            let body = to_bytes(response.into_body(), 64 * 1024).await?;
            return Err(format!(
                "POST receipt {order_id} answered {status}: {}",
                String::from_utf8_lossy(&body)
            )
            .into());
        }
        Ok(())
    }

    /// The size of the GET v2 answer for `order_id`.
    async fn get_order(&self, order_id: &str) -> Result<usize, BoxError> {
        let request = self.request(
            "GET",
            &format!("/order-management/v2/ecom/{order_id}"),
            Body::empty(),
        )?;
        let response = self.app.clone().oneshot(request).await?;
        let status = response.status();
        let body = to_bytes(response.into_body(), 1024 * 1024).await?;
        if status != StatusCode::OK {
            return Err(format!("GET order {order_id} answered {status}").into());
        }
        Ok(body.len())
    }
}

/// The resident set size, from `VmRSS` in `/proc/self/status` (Linux).
fn rss_bytes() -> Result<u64, BoxError> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("cannot read /proc/self/status (Linux only): {e}"))?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .ok_or("no VmRSS line in /proc/self/status")?;
    Ok(kib * 1024)
}
