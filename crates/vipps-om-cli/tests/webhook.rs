//! The real `vipps-om` binary: webhook events survive a SIGKILLed worker
//! (killed after the outcome is stored and before the shop's endpoint
//! accepted the event; delivered after the restart, with the same event id
//! and a signature checked by an HMAC written here from SHA-256 alone),
//! on SQLite and on PostgreSQL (`DATABASE_URL`; skipped with a message
//! without it); and `outbox serve` as a user starts it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vipps_om::{Category, CategoryType, ImageId, MerchantSerialNumber, OrderId, PaymentType};
use vipps_om_outbox::{JobState, NewJob, Outbox};
use vipps_om_testdb::TestDb;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_vipps-om");
const SECRET: &str = "crash-test-secret-0123456789";

fn command(sim: &vipps_om_sim::RunningSim, database_url: &str, home: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("VIPPS_BASE_URL", sim.base_url())
        .env("VIPPS_CLIENT_ID", "demo-client-id")
        .env("VIPPS_CLIENT_SECRET", "demo-client-secret")
        .env("VIPPS_SUBSCRIPTION_KEY", "demo-subscription-key")
        .env("VIPPS_MERCHANT_SERIAL_NUMBER", "123456")
        .env("VIPPS_OM_DATABASE_URL", database_url)
        .stdin(Stdio::null());
    cmd
}

/// A fresh database: SQLite, or one on the PostgreSQL of `DATABASE_URL`
/// (`None` without it: the test says so and passes).
async fn database(postgres: bool) -> Option<TestDb> {
    if postgres {
        TestDb::postgres("outbox_hookcrash").await
    } else {
        Some(TestDb::sqlite("outbox.db"))
    }
}

/// HMAC-SHA256 (RFC 2104) from SHA-256 alone.
fn hmac_sha256(key: &[u8], message: &[u8]) -> String {
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_events_survive_a_killed_worker_on_sqlite() {
    webhook_events_survive_a_killed_worker(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_events_survive_a_killed_worker_on_postgres() {
    webhook_events_survive_a_killed_worker(true).await;
}

async fn webhook_events_survive_a_killed_worker(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = database(postgres).await else {
        return;
    };
    let url = db.url().to_owned();
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let outbox = Outbox::connect(&url).await.unwrap();
    // Refused for good by the API: an image that was never uploaded.
    let category = Category::new(CategoryType::Receipt, "https://shop.example/o/crash-1")
        .with_image_id(ImageId::new("never-uploaded").unwrap());
    let job = outbox
        .enqueue(
            &NewJob::category(
                &MerchantSerialNumber::new("123456").unwrap(),
                &PaymentType::Ecom,
                &OrderId::new("crash-1").unwrap(),
                &category,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let secret_file = dir.path().join("webhook-secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();

    // The shop's endpoint is down while the first worker runs.
    let shop = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&shop)
        .await;
    let hook = format!("{}/hooks", shop.uri());
    let run = |extra: &[&str]| {
        let mut cmd = command(&sim, &url, dir.path());
        cmd.args(["outbox", "run", "--workers", "1", "--poll-ms", "50"])
            .args(["--webhook-url", &hook, "--webhook-secret-file"])
            .arg(&secret_file)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    };
    let mut worker = run(&[]).spawn().unwrap();
    // Wait until the outcome and its event are stored and the event was
    // posted (and refused) at least once; then SIGKILL.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            Instant::now() < deadline,
            "the job never failed with a posted event"
        );
        let events = outbox.job_events(job).await.unwrap();
        if outbox.job(job).await.unwrap().state == JobState::Failed
            && events.first().is_some_and(|e| e.last_error.is_some())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    worker.kill().unwrap();
    worker.wait().unwrap();
    let events = outbox.job_events(job).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type, "job.failed");
    assert!(events[0].delivered_at.is_none());
    assert!(
        events[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("503"),
        "{:?}",
        events[0].last_error
    );
    let refused = shop.received_requests().await.unwrap();
    assert!(!refused.is_empty());

    // The endpoint is back; a new worker (drained) delivers the event.
    shop.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&shop)
        .await;
    let status = run(&["--drain", "--webhook-drain-secs", "60"])
        .status()
        .unwrap();
    assert!(status.success(), "{status}");
    let events = outbox.job_events(job).await.unwrap();
    assert!(events[0].delivered_at.is_some(), "{events:?}");
    let accepted = shop.received_requests().await.unwrap();
    assert_eq!(accepted.len(), 1);
    let request = &accepted[0];
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    // The same event as the refused posts, signed over `t.body`.
    assert_eq!(header("vipps-om-event-id"), events[0].event_id);
    assert_eq!(
        refused[0]
            .headers
            .get("vipps-om-event-id")
            .unwrap()
            .to_str()
            .unwrap(),
        events[0].event_id
    );
    let signature = header("vipps-om-signature");
    let (t, v1) = signature.split_once(",v1=").unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(&request.body);
    assert_eq!(v1, hmac_sha256(SECRET.as_bytes(), &signed));
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["type"], "job.failed");
    assert_eq!(body["job"]["orderId"], "crash-1");
    assert_eq!(body["job"]["status"], 400);
    outbox.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_serve_prints_its_url_and_answers_the_api_paths() {
    let dir = tempfile::tempdir().unwrap();
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let url = format!("sqlite://{}", dir.path().join("outbox.db").display());
    let secret_file = dir.path().join("gateway-secret");
    std::fs::write(&secret_file, "local-gateway-secret\n").unwrap();
    let serve = |listen: &str| {
        let mut cmd = command(&sim, &url, dir.path());
        cmd.args([
            "outbox",
            "serve",
            "--listen",
            listen,
            "--local-client-id",
            "shop",
        ])
        .arg("--local-client-secret-file")
        .arg(&secret_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        cmd
    };
    // Loopback unless told otherwise.
    let refused = serve("0.0.0.0:0").output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--allow-remote"));

    let mut child = serve("127.0.0.1:0").spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first.trim().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base:?}");
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{base}/accesstoken/get"))
        .header("client_id", "shop")
        .header("client_secret", "local-gateway-secret")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let receipt = json!({
        "orderLines": [{"name": "Socks", "id": "sku-1", "totalAmount": 29800,
            "totalAmountExcludingTax": 23840, "totalTaxAmount": 5960, "taxRate": 2500}],
        "bottomLine": {"currency": "NOK"}
    });
    let answer = http
        .post(format!("{base}/order-management/v2/ecom/receipts/serve-1"))
        .bearer_auth(&token)
        .json(&receipt)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 201);
    child.kill().unwrap();
    child.wait().unwrap();
    let outbox = Outbox::connect(&url).await.unwrap();
    assert_eq!(outbox.order_status("serve-1").await.unwrap().len(), 1);
}
