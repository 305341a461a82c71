//! Receipts per second through the gateway (HTTP, token check, validation,
//! the 409 check and a committed enqueue each) against direct
//! `Outbox::submit` with the same concurrency, on SQLite and, with
//! `DATABASE_URL=postgres://...`, PostgreSQL. `bench/gateway.sh` runs it.
//! Environment: GATEWAY_BENCH_RECEIPTS (default 2000), GATEWAY_BENCH_CONCURRENCY
//! (default 16).

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::json;
use vipps_om::{MerchantSerialNumber, OrderId, PaymentType};
use vipps_om_gateway::{Gateway, GatewayConfig};
use vipps_om_outbox::{JobKind, JobRequest, NewJob, Outbox};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn receipt_body(n: usize) -> serde_json::Value {
    json!({
        "orderLines": [{
            "name": "Wool socks", "id": "sku-1",
            "totalAmount": 29800, "totalAmountExcludingTax": 23840, "totalTaxAmount": 5960,
            "taxRate": 2500,
            "unitInfo": {"unitPrice": 14900, "quantity": "2", "quantityUnit": "PCS"}
        }],
        "bottomLine": {"currency": "NOK", "receiptNumber": n.to_string()}
    })
}

async fn run_concurrently<F, Fut>(total: usize, concurrency: usize, task: F) -> Duration
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let task = Arc::new(task);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..concurrency {
        let (task, next) = (task.clone(), next.clone());
        handles.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= total {
                    break;
                }
                task(n).await;
            }
        }));
    }
    for handle in handles {
        handle.await.expect("a bench task failed");
    }
    started.elapsed()
}

async fn measure(label: &str, url: &str, total: usize, concurrency: usize) {
    let msn = MerchantSerialNumber::new("123456").expect("msn");
    // Order ids of this run only (a PostgreSQL database may be reused).
    let run = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    // Direct enqueue: the same typed receipt, one committed job each.
    let outbox = Outbox::connect(url).await.expect("outbox");
    let direct = {
        let outbox = outbox.clone();
        let (msn, run) = (msn.clone(), run.clone());
        run_concurrently(total, concurrency, move |n| {
            let (outbox, msn, run) = (outbox.clone(), msn.clone(), run.clone());
            async move {
                let body = receipt_body(n).to_string();
                let (request, _) =
                    JobRequest::parse(JobKind::Receipt, body.as_bytes()).expect("valid");
                let order = OrderId::new(format!("{run}-direct-{n}")).expect("order");
                let job = NewJob::new(&msn, &PaymentType::Ecom, &order, request).expect("job");
                outbox.submit(&job).await.expect("enqueue");
            }
        })
        .await
    };
    // Through the gateway over HTTP.
    let config = GatewayConfig::new(msn, "bench", SecretString::from("bench-secret"))
        .expect("config")
        .max_in_flight(concurrency.max(1));
    let gateway = Gateway::new(outbox.clone(), None, config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { gateway.serve(listener, std::future::pending()).await });
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{base}/accesstoken/get"))
        .header("client_id", "bench")
        .header("client_secret", "bench-secret")
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    let token = token["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    let via_gateway = run_concurrently(total, concurrency, move |n| {
        let (http, base, token, run) = (http.clone(), base.clone(), token.clone(), run.clone());
        async move {
            let status = http
                .post(format!(
                    "{base}/order-management/v2/ecom/receipts/{run}-gw-{n}"
                ))
                .bearer_auth(&token)
                .json(&receipt_body(n))
                .send()
                .await
                .expect("post")
                .status();
            assert_eq!(status.as_u16(), 201);
        }
    })
    .await;
    let rate = |d: Duration| total as f64 / d.as_secs_f64();
    println!(
        "{label:<10} {total} receipts, {concurrency} at once: direct enqueue {:>8.0}/s, gateway {:>8.0}/s ({:.0} % of direct)",
        rate(direct),
        rate(via_gateway),
        100.0 * rate(via_gateway) / rate(direct)
    );
    outbox.close().await;
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let total = env_number("GATEWAY_BENCH_RECEIPTS", 2000);
    let concurrency = env_number("GATEWAY_BENCH_CONCURRENCY", 16);
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    measure("SQLite", &sqlite, total, concurrency).await;
    match std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    {
        Some(url) => measure("PostgreSQL", &url, total, concurrency).await,
        None => println!("PostgreSQL: skipped (set DATABASE_URL=postgres://... to measure it)"),
    }
}
