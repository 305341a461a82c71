//! Webhooks for the shop, on SQLite and on PostgreSQL (`DATABASE_URL`, a
//! fresh database per test; skipped with a message without it): events
//! are stored with the outcome that causes them, posted signed to a real
//! HTTP endpoint, retried until accepted with the same event id, and the
//! signatures checked by an HMAC-SHA256 written here from SHA-256 alone
//! (not the `hmac` crate the outbox signs with).

use std::time::Duration;

use sha2::{Digest, Sha256};
use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{
    Amount, Category, CategoryType, Client, Currency, ImageId, MerchantSerialNumber, OrderId,
    PaymentType, Receipt, RetryPolicies, RetryPolicy, TaxRate,
};
use vipps_om_outbox::webhook::{EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER};
use vipps_om_outbox::{
    Backoff, JobState, NewJob, Outbox, WebhookConfig, WebhookSecret, WorkerConfig,
};
use vipps_om_sim::{Fault, Route};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &[u8] = b"whsec-test-0123456789abcdef";

use vipps_om_testdb::TestDb as Db;

vipps_om_testdb::on_every_backend!(
    prefix: "outbox_webhook",
    everywhere: [
    failures_late_deliveries_and_waiting_jobs_reach_the_shop_signed,
    no_events_are_stored_unless_asked_for,
    ],
);

/// HMAC-SHA256 (RFC 2104) from SHA-256 alone: the independent check of
/// the outbox's signatures.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// Checks `t=UNIX,v1=HEX` over `t + "." + body`; returns `t`.
fn check_signature(header: &str, body: &[u8]) -> i64 {
    let (t, v1) = header
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        .unwrap_or_else(|| panic!("signature header {header:?}"));
    let mut signed = t.as_bytes().to_vec();
    signed.push(b'.');
    signed.extend_from_slice(body);
    let expected: String = hmac_sha256(SECRET, &signed)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        v1,
        expected,
        "signature of {}",
        String::from_utf8_lossy(body)
    );
    t.parse().unwrap()
}

fn msn() -> MerchantSerialNumber {
    MerchantSerialNumber::new("123456").unwrap()
}

fn receipt() -> Receipt {
    ReceiptBuilder::new(Currency::Nok)
        .line(
            LineBuilder::new("sku-1", "Wool socks")
                .unit_price(Amount::minor(14_900))
                .quantity("2")
                .tax_rate(TaxRate::from_percent(25)),
        )
        .build()
        .unwrap()
}

fn client_without_retries(sim: &vipps_om_sim::RunningSim) -> Client {
    sim.client_builder(sim.demo_merchant())
        .retry_policies(RetryPolicies::uniform(RetryPolicy::never()))
        .build()
        .unwrap()
}

fn worker_config(events: bool) -> WorkerConfig {
    WorkerConfig::default()
        .lease(Duration::from_secs(2))
        .poll_interval(Duration::from_millis(20))
        .backoff(Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(200),
        })
        .stop_when_idle(true)
        .webhook_events(events)
}

async fn drain(outbox: &Outbox, client: &Client, events: bool) {
    tokio::time::timeout(
        Duration::from_secs(30),
        vipps_om_outbox::run_workers(
            outbox,
            client,
            &worker_config(events),
            1,
            std::future::pending(),
        ),
    )
    .await
    .expect("drained within 30 s")
    .expect("no worker stops abnormally");
}

async fn failures_late_deliveries_and_waiting_jobs_reach_the_shop_signed(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = client_without_retries(&sim);
    let outbox = Outbox::connect(db.url()).await.unwrap();
    let ecom = PaymentType::Ecom;
    // Refused for good: an image that was never uploaded.
    let category = Category::new(CategoryType::Receipt, "https://shop.example/o/hook-1")
        .with_image_id(ImageId::new("never-uploaded").unwrap());
    let failed = outbox
        .enqueue(
            &NewJob::category(&msn(), &ecom, &OrderId::new("hook-1").unwrap(), &category).unwrap(),
        )
        .await
        .unwrap();
    // Delivered after two 503s.
    let late = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &ecom, &OrderId::new("hook-2").unwrap(), &receipt()).unwrap(),
        )
        .await
        .unwrap();
    sim.inject_fault(Fault::status(Route::AddReceipt, 503).times(2))
        .unwrap();
    drain(&outbox, &client, true).await;
    // Delivered at once: no event.
    let fine = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &ecom, &OrderId::new("hook-3").unwrap(), &receipt()).unwrap(),
        )
        .await
        .unwrap();
    drain(&outbox, &client, true).await;
    assert_eq!(outbox.job(failed).await.unwrap().state, JobState::Failed);
    assert_eq!(outbox.job(late).await.unwrap().state, JobState::Delivered);
    assert_eq!(outbox.job(fine).await.unwrap().state, JobState::Delivered);
    let types = |events: Vec<vipps_om_outbox::webhook::StoredEvent>| {
        events.into_iter().map(|e| e.event_type).collect::<Vec<_>>()
    };
    assert_eq!(
        types(outbox.job_events(failed).await.unwrap()),
        ["job.failed"]
    );
    assert_eq!(
        types(outbox.job_events(late).await.unwrap()),
        ["job.delivered_after_failure"]
    );
    assert!(outbox.job_events(fine).await.unwrap().is_empty());

    // A job of a merchant nobody delivers for waits past the threshold:
    // one waiting event, however often the scan runs.
    let other = MerchantSerialNumber::new("654321").unwrap();
    let waiting = outbox
        .enqueue(
            &NewJob::receipt(&other, &ecom, &OrderId::new("hook-4").unwrap(), &receipt()).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        outbox
            .scan_waiting_jobs(Duration::from_secs(1))
            .await
            .unwrap(),
        0
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(
        outbox
            .scan_waiting_jobs(Duration::from_secs(1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        outbox
            .scan_waiting_jobs(Duration::from_secs(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        types(outbox.job_events(waiting).await.unwrap()),
        ["job.waiting"]
    );
    assert_eq!(outbox.undelivered_events().await.unwrap(), 3);

    // The shop's endpoint fails the first post, then accepts.
    let shop = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks/vipps-om"))
        .respond_with(ResponseTemplate::new(500).set_body_string("down for a moment"))
        .up_to_n_times(1)
        .mount(&shop)
        .await;
    Mock::given(method("POST"))
        .and(path("/hooks/vipps-om"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&shop)
        .await;
    let config = WebhookConfig::new(
        &format!("{}/hooks/vipps-om", shop.uri()),
        WebhookSecret::new(SECRET).unwrap(),
    )
    .unwrap()
    .backoff(Backoff {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(100),
    })
    .poll_interval(Duration::from_millis(20))
    .stop_when_idle(true);
    let report = tokio::time::timeout(
        Duration::from_secs(30),
        vipps_om_outbox::run_webhooks(&outbox, &config, std::future::pending()),
    )
    .await
    .expect("every event delivered within 30 s")
    .unwrap();
    assert_eq!((report.delivered, report.failed_posts), (3, 1));
    assert_eq!(outbox.undelivered_events().await.unwrap(), 0);

    let received = shop.received_requests().await.unwrap();
    assert_eq!(received.len(), 4);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut ids = Vec::new();
    for request in &received {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .unwrap_or_else(|| panic!("{name} missing"))
                .to_str()
                .unwrap()
                .to_owned()
        };
        let t = check_signature(&header(SIGNATURE_HEADER), &request.body);
        assert!((now - t).abs() < 120, "t={t} now={now}");
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["id"], header(EVENT_ID_HEADER).as_str());
        assert_eq!(body["type"], header(EVENT_TYPE_HEADER).as_str());
        assert_eq!(header("content-type"), "application/json");
        ids.push(body["id"].as_str().unwrap().to_owned());
        match body["type"].as_str().unwrap() {
            "job.failed" => {
                assert_eq!(body["job"]["id"], failed.get());
                assert_eq!(body["job"]["orderId"], "hook-1");
                assert_eq!(body["job"]["status"], 400);
                assert!(
                    body["job"]["problems"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| p["path"] == "imageId"),
                    "{body}"
                );
            }
            "job.delivered_after_failure" => {
                assert_eq!(body["job"]["id"], late.get());
                assert_eq!(body["job"]["outcome"], "created");
                assert_eq!(body["job"]["previousStatus"], 503);
                assert_eq!(body["job"]["attempts"], 3);
            }
            "job.waiting" => {
                assert_eq!(body["job"]["id"], waiting.get());
                assert_eq!(body["job"]["merchantSerialNumber"], "654321");
                assert_eq!(body["job"]["state"], "pending");
                assert!(body["job"]["waitedSeconds"].as_i64().unwrap() >= 1);
            }
            other => panic!("unexpected event type {other}"),
        }
    }
    // The post that failed was sent again with the same id: four posts,
    // three events.
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    let stored = outbox.recent_events(10).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert!(stored.iter().all(|e| e.delivered_at.is_some()));
    assert_eq!(stored.iter().map(|e| e.attempts).sum::<u32>(), 4);
}

async fn no_events_are_stored_unless_asked_for(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = client_without_retries(&sim);
    let outbox = Outbox::connect(db.url()).await.unwrap();
    let category = Category::new(CategoryType::Receipt, "https://shop.example/o/quiet-1")
        .with_image_id(ImageId::new("never-uploaded").unwrap());
    let failed = outbox
        .enqueue(
            &NewJob::category(
                &msn(),
                &PaymentType::Ecom,
                &OrderId::new("quiet-1").unwrap(),
                &category,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    drain(&outbox, &client, false).await;
    assert_eq!(outbox.job(failed).await.unwrap().state, JobState::Failed);
    assert!(outbox.job_events(failed).await.unwrap().is_empty());
    assert_eq!(outbox.undelivered_events().await.unwrap(), 0);
}
