//! The simulator's bounds (issue 10, items 5 and 6): its server survives
//! stalled clients (through the real `spawn`), and nothing a client sends
//! grows its memory without limit: the request log is bounded in bytes,
//! the store in bytes, categories per order, faults in number.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;
use vipps_om_sim::config::DEFAULT_REQUEST_LOG_BYTES;
use vipps_om_sim::observe::LOG_BODY_PREFIX;
use vipps_om_sim::state::MAX_FAULTS;
use vipps_om_sim::{Fault, Route, ServeLimits, SimState, Simulator};

use crate::support::{Api, receipt, send};

/// What "served promptly" means on a noisy machine.
const BOUND: Duration = Duration::from_secs(5);

fn limits(adjust: impl FnOnce(&mut ServeLimits)) -> ServeLimits {
    let mut limits = ServeLimits::default();
    adjust(&mut limits);
    limits
}

/// The soft limit on open files, from `/proc/self/limits` (Linux).
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// 2,000, or as many as the open-file limit allows (two descriptors
/// each: both ends are in this process), said on stderr.
fn stalled_count() -> usize {
    const STALLED: usize = 2000;
    match open_files_limit() {
        Some(limit) if limit < 2 * STALLED + 200 => {
            let fit = limit.saturating_sub(200) / 2;
            eprintln!(
                "open-file limit {limit}: testing with {fit} stalled connections (raise `ulimit -n` above {} for 2,000)",
                2 * STALLED + 200
            );
            fit
        }
        _ => STALLED,
    }
}

async fn stall(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            b"POST /order-management/v2/ecom/receipts/o-1 HTTP/1.1\r\nHost: localhost\r\nContent-",
        )
        .await
        .expect("write half a header");
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_stalled_connections_do_not_stop_the_simulator() {
    let api = Api::start().await;
    let count = stalled_count();
    let mut stalled = Vec::with_capacity(count);
    for _ in 0..count {
        stalled.push(stall(api.sim.addr()).await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let started = Instant::now();
    let answer = tokio::time::timeout(BOUND, api.get("/order-management/v2/ecom/o-1"))
        .await
        .unwrap_or_else(|_| {
            panic!("no answer within {BOUND:?} beside {count} stalled connections")
        });
    assert_eq!(answer.status, 404, "{}", answer.text);
    assert!(started.elapsed() < BOUND);
    drop(stalled);
}

#[tokio::test]
async fn a_stalled_header_is_closed_after_the_configured_timeout() {
    let timeout = Duration::from_millis(300);
    let config = Simulator::builder()
        .serve_limits(limits(|l| l.header_read_timeout = timeout))
        .build()
        .expect("valid");
    let sim = vipps_om_sim::spawn(config).await.expect("spawn");
    let mut stalled = stall(sim.addr()).await;
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(BOUND, stalled.read(&mut buf))
        .await
        .expect("closed within the bound");
    assert!(matches!(read, Ok(0) | Err(_)), "answered: {read:?}");
    assert!(started.elapsed() >= timeout - Duration::from_millis(50));
    assert!(sim.requests().is_empty(), "a half request is not a request");
    sim.shutdown().await.expect("stops");
}

#[tokio::test]
async fn a_body_slower_than_the_body_timeout_gets_408() {
    let config = Simulator::builder()
        .serve_limits(limits(|l| l.body_read_timeout = Duration::from_millis(300)))
        .build()
        .expect("valid");
    let sim = vipps_om_sim::spawn(config).await.expect("spawn");
    let mut stream = TcpStream::connect(sim.addr()).await.expect("connect");
    stream
        .write_all(
            b"POST /order-management/v2/ecom/receipts/o-1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"orderLines\":",
        )
        .await
        .expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(BOUND, stream.read_to_end(&mut answer))
        .await
        .expect("answered and closed within the bound")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within 0.3 s"), "{answer}");
    let logged = sim.requests();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].status, 408);
    sim.shutdown().await.expect("stops");
}

/// Sends `body` to the receipts route in-process (the whole pipeline
/// without a socket; no token, so it is answered 401 after being read).
async fn post_big(app: &axum::Router, body: Vec<u8>) -> u16 {
    let request = Request::post("/order-management/v2/ecom/receipts/big")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("a request");
    app.clone()
        .oneshot(request)
        .await
        .expect("infallible")
        .status()
        .as_u16()
}

#[tokio::test]
async fn sixty_bodies_of_seven_mib_keep_the_request_log_within_its_budget() {
    const SEVEN_MIB: usize = 7 * 1024 * 1024;
    // JSON of small values: read into a tree, each would take tens of MB.
    let big = {
        let mut body = b"[".to_vec();
        while body.len() < SEVEN_MIB - 2 {
            body.extend_from_slice(b"1,");
        }
        body.extend_from_slice(b"1]");
        body
    };
    let state = SimState::new(&Simulator::default());
    let app = vipps_om_sim::app(state.clone());
    for _ in 0..60 {
        assert_eq!(post_big(&app, big.clone()).await, 401);
    }
    let bytes = state.request_log_bytes();
    assert!(bytes <= DEFAULT_REQUEST_LOG_BYTES, "{bytes}");
    // Each entry keeps about its 8 KiB prefix, not 7 MiB.
    assert!(bytes <= 60 * (LOG_BODY_PREFIX + 4096), "{bytes}");
    let logged = state.requests();
    assert_eq!(logged.len(), 60, "all fit: none evicted");
    for entry in &logged {
        assert!(entry.body_truncated);
        assert_eq!(entry.body_bytes, big.len());
        let text = entry.body.as_str().expect("a truncated body is text");
        assert!(text.starts_with("[1,1,1,"), "{}", &text[..20]);
        assert!(
            text.ends_with(&format!("… (truncated: {} bytes in all)", big.len())),
            "the prefix is marked"
        );
        assert!(text.len() < LOG_BODY_PREFIX + 64);
    }

    // With a small budget the oldest entries go first.
    let budget = 5 * (LOG_BODY_PREFIX + 2048);
    let config = Simulator::builder()
        .request_log_bytes(budget)
        .build()
        .expect("valid");
    let state = SimState::new(&config);
    let app = vipps_om_sim::app(state.clone());
    for _ in 0..20 {
        post_big(&app, big.clone()).await;
    }
    assert!(state.request_log_bytes() <= budget);
    let ids: Vec<u64> = state.requests().iter().map(|r| r.id).collect();
    assert!(ids.len() < 20 && !ids.is_empty(), "{ids:?}");
    assert_eq!(ids.last(), Some(&20), "the newest is kept");
    state.clear_requests();
    assert_eq!(state.request_log_bytes(), 0);
}

#[tokio::test]
async fn writes_beyond_the_store_budget_get_507_until_a_reset() {
    let config = Simulator::builder()
        .store_bytes(8 * 1024)
        .build()
        .expect("valid");
    let api = Api::start_with(config).await;
    let mut statuses = Vec::new();
    for i in 0..20 {
        let resp = api
            .post_json(
                &format!("/order-management/v2/ecom/receipts/o-{i}"),
                &receipt(),
            )
            .await;
        statuses.push(resp.status);
        if resp.status == 507 {
            assert!(resp.text.contains("8192 bytes"), "{}", resp.text);
            assert!(resp.text.contains("/_sim/reset"), "{}", resp.text);
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&507), "{statuses:?}");
    assert!(statuses[..statuses.len() - 1].iter().all(|s| *s == 201));
    assert!(api.sim.stored_bytes() <= 8 * 1024);
    // Reads still work; a reset makes room.
    assert_eq!(api.get("/order-management/v2/ecom/o-0").await.status, 200);
    api.sim.reset();
    assert_eq!(api.sim.stored_bytes(), 0);
    let token = crate::support::token(&api.http, api.sim.base_url(), &api.merchant).await;
    let resp = send(
        api.http
            .post(api.url("/order-management/v2/ecom/receipts/again"))
            .bearer_auth(token)
            .header("Ocp-Apim-Subscription-Key", api.merchant.subscription_key())
            .header(
                "Merchant-Serial-Number",
                api.merchant.merchant_serial_number().as_str(),
            )
            .json(&receipt()),
    )
    .await;
    assert_eq!(resp.status, 201, "{}", resp.text);
}

#[tokio::test]
async fn faults_and_control_bodies_are_bounded() {
    let api = Api::start().await;
    for _ in 0..MAX_FAULTS {
        api.sim
            .inject_fault(Fault::status(Route::GetOrder, 503))
            .expect("within the limit");
    }
    let err = api
        .sim
        .inject_fault(Fault::status(Route::GetOrder, 503))
        .unwrap_err()
        .to_string();
    assert!(err.contains("1000 faults"), "{err}");
    assert!(err.contains("DELETE /_sim/faults"), "{err}");

    let huge = json!({"route": "*", "status": 503, "padding": "x".repeat(100 * 1024)});
    let resp = send(api.bare(Method::POST, "/_sim/faults").json(&huge)).await;
    assert_eq!(resp.status, 413, "{}", resp.text);
}
