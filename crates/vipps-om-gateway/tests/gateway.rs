//! The gateway over a real socket, on SQLite, on PostgreSQL
//! (`DATABASE_URL`) and on MySQL (`MYSQL_URL`, with the `mysql` feature;
//! a fresh database per test; skipped with a message without it): tokens, the answers of each path, 409 for a second
//! receipt, 400 with `invalidParams`, jobs committed before the answer,
//! delivery by the outbox worker to the simulator, reads passed through;
//! and the official JS SDK 1.3.4 driving it (`tests/js-sdk` at the
//! workspace root; skipped with a message when its `node_modules` or Node.js
//! is missing: `npm ci --prefix tests/js-sdk`).

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};
use vipps_om::{MerchantSerialNumber, PaymentType};
use vipps_om_gateway::{Gateway, GatewayConfig};
use vipps_om_outbox::{JobKind, JobState, Outbox, WorkerConfig};

const CLIENT_ID: &str = "shop-plugin";
const CLIENT_SECRET: &str = "local-secret-for-tests";

use vipps_om_testdb::{TestDb as Db, skip};

vipps_om_testdb::on_every_backend!(
    prefix: "outbox_gw",
    everywhere: [
    the_api_paths_answer_once_the_job_is_committed,
    the_official_js_sdk_works_by_changing_only_its_base_url,
    ],
);

struct Running {
    base: String,
    outbox: Outbox,
    sim: vipps_om_sim::RunningSim,
    http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start(db: &Db) -> Running {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let outbox = Outbox::connect(db.url()).await.unwrap();
    let config = GatewayConfig::new(
        MerchantSerialNumber::new("123456").unwrap(),
        CLIENT_ID,
        SecretString::from(CLIENT_SECRET),
    )
    .unwrap();
    let gateway = Gateway::new(outbox.clone(), Some(sim.demo_client().unwrap()), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        gateway
            .serve(listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    Running {
        base,
        outbox,
        sim,
        // Idle connections are dropped before the server's 10 s keep-alive
        // limit closes them: reusing one the server is closing at that
        // moment fails with "incomplete message" (a slow drain on a busy
        // machine hit it).
        http: reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client"),
        _stop: stop,
    }
}

impl Running {
    async fn token(&self) -> String {
        let answer: Value = self
            .http
            .post(format!("{}/accesstoken/get", self.base))
            .header("client_id", CLIENT_ID)
            .header("client_secret", CLIENT_SECRET)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["token_type"], "Bearer");
        assert_eq!(answer["expires_in"], "3600");
        answer["access_token"].as_str().unwrap().to_owned()
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("Merchant-Serial-Number", "123456");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn drain(&self) {
        let config = WorkerConfig::default()
            .poll_interval(Duration::from_millis(20))
            .stop_when_idle(true);
        tokio::time::timeout(
            Duration::from_secs(30),
            vipps_om_outbox::run_workers(
                &self.outbox,
                &self.sim.demo_client().unwrap(),
                &config,
                2,
                std::future::pending(),
            ),
        )
        .await
        .expect("drained within 30 s")
        .expect("no worker stops abnormally");
    }
}

fn receipt() -> Value {
    json!({
        "orderLines": [{
            "name": "Wool socks", "id": "sku-1",
            "totalAmount": 29800, "totalAmountExcludingTax": 23840, "totalTaxAmount": 5960,
            "taxRate": 2500,
            "unitInfo": {"unitPrice": 14900, "quantity": "2", "quantityUnit": "PCS"}
        }],
        "bottomLine": {"currency": "NOK", "receiptNumber": "1001"}
    })
}

fn png_base64() -> String {
    use std::fmt::Write as _;
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&13u32.to_be_bytes());
    v.extend_from_slice(b"IHDR");
    v.extend_from_slice(&200u32.to_be_bytes());
    v.extend_from_slice(&200u32.to_be_bytes());
    v.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    // Base64 by hand (no dependency for one test value).
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in v.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let _ = write!(
                    out,
                    "{}",
                    ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char
                );
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn the_api_paths_answer_once_the_job_is_committed(db: &Db) {
    use reqwest::Method;
    let gw = start(db).await;

    // Tokens: wrong secret, none, forged, then a real one.
    let wrong = gw
        .http
        .post(format!("{}/accesstoken/get", gw.base))
        .header("client_id", CLIENT_ID)
        .header("client_secret", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let receipts = "/order-management/v2/ecom/receipts/gw-1001";
    let (status, _) = gw
        .call(Method::POST, receipts, "forged", Some(receipt()))
        .await;
    assert_eq!(status, 401);
    let anonymous = gw
        .http
        .post(format!("{}{receipts}", gw.base))
        .json(&receipt())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let token = gw.token().await;

    // Validation: 400 in the API's shape, every field named; nothing stored.
    let mut bad = receipt();
    bad["orderLines"][0]["totalAmount"] = json!(298.0);
    bad["orderLines"][0]["taxRate"] = json!(25);
    let (status, body) = gw
        .call(
            Method::POST,
            "/order-management/v2/ecom/receipts/gw-bad",
            &token,
            Some(bad),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["title"], "One or more validation errors occurred.");
    let names: Vec<&str> = body["invalidParams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"orderLines[0].totalAmount"), "{names:?}");
    assert!(body["invalidParams"][0]["reason"].as_str().unwrap().len() > 10);
    assert!(gw.outbox.order_status("gw-bad").await.unwrap().is_empty());
    let (status, body) = gw
        .call(
            Method::POST,
            "/order-management/v2/card/receipts/gw-1",
            &token,
            Some(receipt()),
        )
        .await;
    assert_eq!(
        (status, body["invalidParams"][0]["name"].as_str()),
        (400, Some("paymentType"))
    );

    // A receipt: 201 with a JSON string, and the job is there already.
    let (status, body) = gw
        .call(Method::POST, receipts, &token, Some(receipt()))
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(body.as_str().unwrap().starts_with("outbox-job-"), "{body}");
    let jobs = gw.outbox.order_status("gw-1001").await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (jobs[0].kind, jobs[0].state),
        (JobKind::Receipt, JobState::Pending)
    );
    // The second one: 409, as the API answers.
    let (status, body) = gw
        .call(Method::POST, receipts, &token, Some(receipt()))
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("already stored"));
    assert_eq!(gw.outbox.order_status("gw-1001").await.unwrap().len(), 1);

    // An image, then a category showing it: the upload goes first in the
    // order's own sequence.
    let (status, body) = gw
        .call(
            Method::POST,
            "/order-management/v1/images",
            &token,
            Some(json!({"imageId": "gw-logo-1", "src": png_base64(), "type": "base64"})),
        )
        .await;
    assert_eq!((status, &body), (200, &json!({"imageId": "gw-logo-1"})));
    let (status, _) = gw
        .call(
            Method::POST,
            "/order-management/v1/images",
            &token,
            Some(json!({"imageId": "gw-logo-1", "src": png_base64(), "type": "base64"})),
        )
        .await;
    assert_eq!(status, 409);
    let (status, body) = gw
        .call(
            Method::PUT,
            "/order-management/v2/ecom/categories/gw-1001",
            &token,
            Some(json!({"category": "RECEIPT", "orderDetailsUrl": "https://shop.example/o/gw-1001", "imageId": "gw-logo-1"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.is_string());
    let kinds: Vec<JobKind> = gw
        .outbox
        .order_status("gw-1001")
        .await
        .unwrap()
        .iter()
        .map(|j| j.kind)
        .collect();
    assert_eq!(
        kinds,
        [JobKind::Receipt, JobKind::Image, JobKind::CategoryV2]
    );
    // A v3 category.
    let (status, body) = gw
        .call(
            Method::POST,
            "/order-management/v3/categories",
            &token,
            Some(json!({"orderId": "gw-1002", "paymentType": "ECOM", "type": "TICKET", "url": "https://shop.example/t/gw-1002"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(
        body["categoryId"]
            .as_str()
            .unwrap()
            .starts_with("outbox-job-")
    );

    // Another merchant's header, an unknown path, a body too large.
    let other = gw
        .http
        .post(format!("{}{receipts}", gw.base))
        .bearer_auth(&token)
        .header("Merchant-Serial-Number", "999999")
        .json(&receipt())
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 403);
    let (status, body) = gw
        .call(Method::GET, "/order-management/v9/nothing", &token, None)
        .await;
    assert_eq!(
        (status, &body["message"]),
        (404, &json!("Resource not found"))
    );
    // On a connection of its own: the gateway answers 413 without reading
    // the body and closes that connection, which a pooled client could
    // otherwise pick for the next call ("incomplete message").
    let huge = reqwest::Client::new()
        .post(format!(
            "{}/order-management/v2/ecom/receipts/gw-huge",
            gw.base
        ))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(vec![b' '; 9 * 1024 * 1024])
        .send()
        .await;
    match huge {
        Ok(answer) => assert_eq!(answer.status().as_u16(), 413),
        // The gateway may close the connection before the client has
        // written the whole 9 MiB (it refuses without reading it): the
        // client then sees a broken pipe instead of the 413. Either way
        // nothing is stored (checked below).
        Err(e) => assert!(e.is_request(), "{e}"),
    }
    assert!(
        gw.outbox.order_status("gw-huge").await.unwrap().is_empty(),
        "a body over the limit is never stored"
    );

    // The worker delivers; reads go to the API through the gateway.
    let (status, _) = gw
        .call(
            Method::GET,
            "/order-management/v2/ecom/gw-1001",
            &token,
            None,
        )
        .await;
    assert_eq!(status, 404, "nothing delivered yet");
    gw.drain().await;
    let (status, body) = gw
        .call(
            Method::GET,
            "/order-management/v2/ecom/gw-1001",
            &token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["receipt"]["bottomLine"]["receiptNumber"], "1001");
    assert_eq!(body["category"]["imageId"], "gw-logo-1");
    let (status, body) = gw
        .call(
            Method::GET,
            "/order-management/v3/categories?orderId=gw-1002",
            &token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["categories"][0]["type"], "TICKET");
    let stored = gw
        .sim
        .order("123456", &PaymentType::Ecom, "gw-1001")
        .unwrap();
    assert!(stored.receipt.is_some());
    assert!(
        gw.outbox
            .order_status("gw-1001")
            .await
            .unwrap()
            .iter()
            .all(|j| j.state == JobState::Delivered)
    );
}

async fn the_official_js_sdk_works_by_changing_only_its_base_url(db: &Db) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/js-sdk");
    if !dir.join("node_modules/@vippsmobilepay/sdk").is_dir() {
        skip("needs the JS SDK: npm ci --prefix tests/js-sdk (Node.js 18+)");
        return;
    }
    let gw = start(db).await;
    let output = tokio::process::Command::new("node")
        .arg("gateway.mjs")
        .current_dir(&dir)
        .env("GATEWAY_URL", &gw.base)
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", CLIENT_SECRET)
        .env("MSN", "123456")
        .env("ORDER_ID", "sdk-1001")
        .output()
        .await;
    let output = match output {
        Ok(output) => output,
        Err(e) => {
            skip(&format!("needs Node.js (node): {e}"));
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the SDK run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(seen["image"]["imageId"], "sdk-1001-logo");
    assert_eq!(seen["secondReceipt"]["title"], "Conflict");
    assert_eq!(seen["forgedToken"]["statusCode"], 401);
    // What the SDK sent is in the outbox, in order, and the worker
    // delivers it to the API.
    let kinds: Vec<JobKind> = gw
        .outbox
        .order_status("sdk-1001")
        .await
        .unwrap()
        .iter()
        .map(|j| j.kind)
        .collect();
    assert_eq!(
        kinds,
        [JobKind::Image, JobKind::CategoryV2, JobKind::Receipt]
    );
    gw.drain().await;
    let stored = gw
        .sim
        .order("123456", &PaymentType::Ecom, "sdk-1001")
        .unwrap();
    assert!(stored.receipt.is_some());
    assert_eq!(stored.categories.len(), 1);
}
