//! The checklist through real HTTP: a hand-written misbehaving client
//! fails exactly the items it breaks, the client library passes a full
//! rehearsal, headers warn for a direct merchant and fail for a partner,
//! and the report's forms (JSON, HTML) and errors.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{
    Amount, Category, CategoryType, Currency, Image, ImageId, OrderId, PaymentType, TaxRate,
};
use vipps_om_sim::RunningSim;

const MSN: &str = "123456";

/// A client written by hand against the raw HTTP API, sending every
/// Vipps header (`headers` off leaves the four `Vipps-System-*` out).
struct Raw {
    http: reqwest::Client,
    base: String,
    system_headers: bool,
}

impl Raw {
    fn new(sim: &RunningSim, system_headers: bool) -> Raw {
        Raw {
            http: reqwest::Client::new(),
            base: sim.base_url().to_owned(),
            system_headers,
        }
    }

    fn with_headers(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let request = request
            .header("Ocp-Apim-Subscription-Key", "demo-subscription-key")
            .header("Merchant-Serial-Number", MSN);
        if self.system_headers {
            request
                .header("Vipps-System-Name", "acme")
                .header("Vipps-System-Version", "3.1.2")
                .header("Vipps-System-Plugin-Name", "acme-webshop")
                .header("Vipps-System-Plugin-Version", "4.5.6")
        } else {
            request
        }
    }

    async fn token(&self) -> String {
        let response = self
            .with_headers(self.http.post(format!("{}/accesstoken/get", self.base)))
            .header("client_id", "demo-client-id")
            .header("client_secret", "demo-client-secret")
            .send()
            .await
            .expect("token request");
        let body: Value = response.json().await.expect("token json");
        body["access_token"].as_str().expect("a token").to_owned()
    }

    async fn post_receipt(&self, token: &str, order: &str, body: &Value) -> u16 {
        self.with_headers(
            self.http
                .post(format!(
                    "{}/order-management/v2/ecom/receipts/{order}",
                    self.base
                ))
                .bearer_auth(token)
                .json(body),
        )
        .send()
        .await
        .expect("receipt POST")
        .status()
        .as_u16()
    }
}

fn receipt_json() -> Value {
    json!({
        "orderLines": [{
            "name": "Wool socks", "id": "line_1",
            "totalAmount": 1000, "totalAmountExcludingTax": 800, "totalTaxAmount": 200,
            "taxRate": 2500
        }],
        "bottomLine": {"currency": "NOK", "posId": "pos_1", "receiptNumber": "1"}
    })
}

async fn rehearse(sim: &RunningSim, spec: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/_sim/rehearsal", sim.base_url()))
        .json(&spec)
        .send()
        .await
        .expect("rehearsal");
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 201, "{body}");
    body
}

async fn report(sim: &RunningSim, query: &str) -> Value {
    let response = reqwest::get(format!(
        "{}/_sim/checklist?msn={MSN}&links=skip{query}",
        sim.base_url()
    ))
    .await
    .expect("checklist");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("json");
    body["reports"][0].clone()
}

fn statuses(report: &Value) -> Vec<(String, String)> {
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap_or_default().to_owned(),
                i["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn failed(report: &Value) -> BTreeSet<String> {
    statuses(report)
        .into_iter()
        .filter(|(_, s)| s == "fail")
        .map(|(id, _)| id)
        .collect()
}

fn status_of(report: &Value, id: &str) -> String {
    statuses(report)
        .into_iter()
        .find(|(i, _)| i == id)
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no item {id}"))
}

#[tokio::test]
async fn a_misbehaving_client_fails_exactly_the_items_it_breaks() {
    let sim = vipps_om_sim::spawn_default().await.expect("spawned");
    rehearse(
        &sim,
        json!({"msn": MSN, "faults": ["server-error", "invalid-request"], "seed": 7, "maxSkip": 0}),
    )
    .await;
    let client = Raw::new(&sim, true);
    let body = receipt_json();
    let mut resent = false;
    // Bursts of requests with pauses longer than the rehearsal's window
    // for a retry, until both faults were judged.
    for burst in 0..4 {
        for n in 0..20 {
            // A token per request, no retry after a failure, and a 400's
            // body sent again unchanged.
            let token = client.token().await;
            let order = format!("bad-{burst}-{n}");
            let status = client.post_receipt(&token, &order, &body).await;
            if status == 400 {
                let token = client.token().await;
                client.post_receipt(&token, &order, &body).await;
                resent = true;
            }
        }
        let done = report(&sim, "").await["rehearsal"]["done"]
            .as_array()
            .map_or(0, Vec::len);
        if done == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(3100)).await;
    }
    assert!(resent, "the rehearsal's 400 never came");
    let report = report(&sim, "").await;
    assert_eq!(
        failed(&report),
        BTreeSet::from([
            "tokens.reused".to_owned(),
            "errors.server-error".to_owned(),
            "errors.invalid-request".to_owned(),
        ]),
        "{report:#}"
    );
    // What it did right passes; what it never did is not exercised.
    assert_eq!(status_of(&report, "endpoints.add-receipt"), "pass");
    assert_eq!(status_of(&report, "headers.vipps-system-name"), "pass");
    assert_eq!(status_of(&report, "design.receipts"), "pass");
    assert_eq!(status_of(&report, "receipts.once"), "pass");
    assert_eq!(status_of(&report, "endpoints.get-order"), "not-exercised");
    assert_eq!(status_of(&report, "errors.slow-answer"), "not-exercised");
    assert_eq!(report["verdict"], "fail");
    // Evidence names the request, never a secret.
    let text = report.to_string();
    assert!(text.contains("/order-management/v2/ecom/receipts/bad-"));
    for secret in ["demo-subscription-key", "demo-client-secret", "eyJ"] {
        assert!(!text.contains(secret), "{secret} in the report");
    }
    sim.shutdown().await.expect("stopped");
}

fn library_receipt() -> vipps_om::Receipt {
    ReceiptBuilder::new(Currency::Nok)
        .line(
            LineBuilder::new("sku-1", "Wool socks")
                .unit_price(Amount::minor(14_900))
                .quantity("2")
                .tax_rate(TaxRate::from_percent(25)),
        )
        .build()
        .expect("a valid receipt")
}

#[tokio::test]
async fn the_client_library_passes_a_full_rehearsal() {
    let sim = vipps_om_sim::spawn_default().await.expect("spawned");
    let started = rehearse(
        &sim,
        json!({"msn": MSN, "seed": 42, "maxSkip": 1, "slowMs": 1500}),
    )
    .await;
    assert_eq!(started["seed"], 42);
    let client = sim
        .client_builder(sim.state().demo_merchant())
        .timeout(Duration::from_millis(700))
        .build()
        .expect("client");
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut n = 0;
    loop {
        n += 1;
        let order = OrderId::new(format!("good-{n}")).expect("id");
        let image_id = ImageId::new(format!("logo-{n}")).expect("id");
        let _ = client
            .images()
            .upload(&Image::from_bytes(
                image_id.clone(),
                &crate::support::png(300, 300),
            ))
            .await;
        let category = Category::new(CategoryType::Receipt, "https://shop.example/orders/1")
            .with_image_id(image_id);
        let _ = client
            .categories()
            .set(&PaymentType::Ecom, &order, &category)
            .await;
        let _ = client
            .receipts()
            .add(&PaymentType::Ecom, &order, &library_receipt())
            .await;
        let _ = client.orders().get(&PaymentType::Ecom, &order).await;
        let report = report(&sim, "").await;
        let done = report["rehearsal"]["done"].as_array().map_or(0, Vec::len);
        if done == 5 {
            assert!(failed(&report).is_empty(), "{report:#}");
            for kind in [
                "server-error",
                "rate-limit",
                "revoked-token",
                "invalid-request",
                "slow-answer",
            ] {
                assert_eq!(
                    status_of(&report, &format!("errors.{kind}")),
                    "pass",
                    "{report:#}"
                );
            }
            assert_eq!(status_of(&report, "tokens.reused"), "pass");
            assert_eq!(status_of(&report, "tokens.renewed"), "pass");
            assert_eq!(status_of(&report, "design.images"), "pass");
            assert_eq!(report["verdict"], "pass");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the rehearsal did not finish: {:#}",
            report["rehearsal"]
        );
    }
    sim.shutdown().await.expect("stopped");
}

#[tokio::test]
async fn missing_system_headers_warn_for_a_direct_merchant_and_fail_for_a_partner() {
    let sim = vipps_om_sim::spawn_default().await.expect("spawned");
    let client = Raw::new(&sim, false);
    let token = client.token().await;
    for n in 0..3 {
        client
            .post_receipt(&token, &format!("h-{n}"), &receipt_json())
            .await;
    }
    let direct = report(&sim, "").await;
    assert_eq!(direct["partner"], false);
    assert_eq!(
        status_of(&direct, "headers.vipps-system-plugin-name"),
        "warn"
    );
    assert_eq!(status_of(&direct, "headers.merchant-serial-number"), "pass");
    let item = direct["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|i| i["id"] == "headers.vipps-system-name")
        })
        .expect("item")
        .clone();
    assert!(
        item["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("token requests: 1 of 1 without a usable value (1 missing"),
        "{item:#}"
    );
    assert_eq!(item["evidence"][0]["method"], "POST");
    assert_eq!(item["evidence"][0]["path"], "/accesstoken/get");

    let partner = report(&sim, "&partner=true").await;
    assert_eq!(partner["partner"], true);
    assert_eq!(
        status_of(&partner, "headers.vipps-system-plugin-name"),
        "fail"
    );
    assert_eq!(partner["verdict"], "fail");
    sim.shutdown().await.expect("stopped");
}

#[tokio::test]
async fn a_header_over_thirty_characters_is_flagged() {
    let sim = vipps_om_sim::spawn_default().await.expect("spawned");
    let http = reqwest::Client::new();
    http.post(format!("{}/accesstoken/get", sim.base_url()))
        .header("Ocp-Apim-Subscription-Key", "demo-subscription-key")
        .header("client_id", "demo-client-id")
        .header("client_secret", "demo-client-secret")
        .header("Merchant-Serial-Number", MSN)
        .header("Vipps-System-Name", "a-system-name-of-thirty-one-chr")
        .send()
        .await
        .expect("sent");
    let report = report(&sim, "").await;
    let item = report["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|i| i["id"] == "headers.vipps-system-name")
        })
        .expect("item")
        .clone();
    assert_eq!(item["status"], "warn");
    assert!(
        item["evidence"][0]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("31 characters long; the limit is 30"),
        "{item:#}"
    );
    sim.shutdown().await.expect("stopped");
}

#[tokio::test]
async fn the_page_is_self_contained_and_bad_requests_are_explained() {
    let sim = vipps_om_sim::spawn_default().await.expect("spawned");
    let client = Raw::new(&sim, true);
    let token = client.token().await;
    client.post_receipt(&token, "page-1", &receipt_json()).await;
    let response = reqwest::get(format!(
        "{}/_sim/checklist.html?msn={MSN}&links=skip",
        sim.base_url()
    ))
    .await
    .expect("page");
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .starts_with("text/html")
    );
    let page = response.text().await.expect("text");
    assert!(page.contains("Merchant 123456"));
    assert!(page.contains("Vipps-System-Name on every request"));
    assert!(page.contains("What the simulator cannot see"));
    assert!(page.contains("vipps-om console"));
    assert!(!page.contains("<script"));
    assert!(!page.contains("src=\"http"));

    let http = reqwest::Client::new();
    let unknown = http
        .get(format!("{}/_sim/checklist?msn=999999", sim.base_url()))
        .send()
        .await
        .expect("sent");
    assert_eq!(unknown.status().as_u16(), 404);
    for (spec, expected) in [
        (
            json!({"msn": MSN, "faults": ["meteor"]}),
            "is not a rehearsal fault",
        ),
        (
            json!({"msn": MSN, "maxSkip": 1000}),
            "maxSkip 1000 is too large",
        ),
        (
            json!({"msn": MSN, "slowMs": 999_999}),
            "slowMs 999999 is out of range",
        ),
        (json!({"msn": "999999"}), "no merchant has msn"),
        (json!({"msn": MSN, "fault": []}), "unknown field"),
    ] {
        let response = http
            .post(format!("{}/_sim/rehearsal", sim.base_url()))
            .json(&spec)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status().as_u16(), 400);
        let body: Value = response.json().await.expect("json");
        assert!(
            body["error"]
                .as_str()
                .unwrap_or_default()
                .contains(expected),
            "{spec}: {body}"
        );
    }
    sim.shutdown().await.expect("stopped");
}

#[tokio::test]
async fn links_are_fetched_as_a_phone_would() {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bound");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new()
        .route("/open", get(|| async { "your order" }))
        .route(
            "/private",
            get(|| async { (axum::http::StatusCode::UNAUTHORIZED, "sign in") }),
        );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let sim = vipps_om_sim::spawn_default().await.expect("spawned");
    let client = sim.demo_client().expect("client");
    for (order, path) in [("l-1", "open"), ("l-2", "private")] {
        client
            .categories()
            .set(
                &PaymentType::Ecom,
                &OrderId::new(order).expect("id"),
                &Category::new(CategoryType::General, format!("http://{addr}/{path}")),
            )
            .await
            .expect("set");
    }
    let body: Value = reqwest::get(format!("{}/_sim/checklist?msn={MSN}", sim.base_url()))
        .await
        .expect("checklist")
        .json()
        .await
        .expect("json");
    let item = body["reports"][0]["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["id"] == "design.links"))
        .expect("item")
        .clone();
    assert_eq!(item["status"], "fail");
    let summary = item["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("2 not https"), "{summary}");
    assert!(
        summary.contains("1 answered without sign-in, 1 did not"),
        "{summary}"
    );
    assert!(summary.contains("/private answered 401"), "{summary}");
    server.abort();
    sim.shutdown().await.expect("stopped");
}

/// The shared JS SDK test package (`tests/js-sdk` at the workspace root).
fn js_sdk_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/js-sdk")
}

/// Runs the SDK driver (`checklist.mjs`) for `orders` orders; its output.
async fn run_sdk(dir: &std::path::Path, base: &str, prefix: &str, orders: u32) -> String {
    let (dir, base, prefix) = (dir.to_owned(), base.to_owned(), prefix.to_owned());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .current_dir(&dir)
            .args([
                "checklist.mjs",
                &base,
                MSN,
                "demo-client-id",
                "demo-client-secret",
            ])
            .args(["demo-subscription-key", &orders.to_string(), &prefix])
            .output()
    })
    .await
    .expect("joined")
    .expect("node runs");
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{printed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    printed
}

#[tokio::test]
async fn the_official_js_sdk_gets_an_honest_report() {
    let dir = js_sdk_dir();
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: node is not installed (the JS SDK test needs Node.js 20)");
        return;
    }
    if !dir
        .join("node_modules/@vippsmobilepay/sdk/package.json")
        .exists()
    {
        eprintln!(
            "skipped: the JS SDK is not installed; run `npm ci` in {}",
            dir.display()
        );
        return;
    }
    let sim = vipps_om_sim::spawn_default().await.expect("spawned");
    // A first run as it goes when nothing fails, then one through a
    // rehearsal.
    let warm = run_sdk(&dir, sim.base_url(), "warm", 2).await;
    assert!(
        warm.contains("warm-0 category ok receipt ok read ok"),
        "{warm}"
    );
    rehearse(
        &sim,
        json!({"msn": MSN, "faults": ["revoked-token", "invalid-request"], "seed": 3, "maxSkip": 0}),
    )
    .await;
    run_sdk(&dir, sim.base_url(), "sdk", 12).await;
    let report = report(&sim, "").await;
    eprintln!(
        "the JS SDK 1.3.4 fails: {:?}",
        failed(&report).into_iter().collect::<Vec<_>>()
    );
    // What the SDK does: the system name and version it is given ...
    assert_eq!(status_of(&report, "headers.vipps-system-name"), "pass");
    assert_eq!(status_of(&report, "headers.merchant-serial-number"), "pass");
    // ... the plugin headers empty on every request, the token request
    // included ...
    for header in ["vipps-system-plugin-name", "vipps-system-plugin-version"] {
        let item = report["items"]
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .find(|i| i["id"] == format!("headers.{header}").as_str())
            })
            .expect("item")
            .clone();
        assert_eq!(item["status"], "warn", "{item:#}");
        assert!(
            item["summary"]
                .as_str()
                .unwrap_or_default()
                .contains("token requests: 2 of 2 without a usable value (0 missing, 2 empty"),
            "{item:#}"
        );
    }
    // ... one token reused, but never renewed: after the revoked token
    // every call is refused.
    assert_eq!(status_of(&report, "tokens.reused"), "pass");
    assert_eq!(status_of(&report, "tokens.renewed"), "fail", "{report:#}");
    assert_eq!(status_of(&report, "errors.revoked-token"), "fail");
    assert_eq!(status_of(&report, "endpoints.add-receipt"), "pass");
    sim.shutdown().await.expect("stopped");
}

#[tokio::test]
async fn ignoring_retry_after_and_sending_a_receipt_twice_fail_their_items() {
    let sim = vipps_om_sim::spawn_default().await.expect("spawned");
    rehearse(
        &sim,
        json!({"msn": MSN, "faults": ["rate-limit"], "seed": 1, "maxSkip": 0}),
    )
    .await;
    let client = Raw::new(&sim, true);
    let token = client.token().await;
    let body = receipt_json();
    // The first receipt arms the 429 for the receipt route; the second
    // gets it and is sent again at once.
    assert_eq!(client.post_receipt(&token, "twice-1", &body).await, 201);
    assert_eq!(client.post_receipt(&token, "twice-2", &body).await, 429);
    assert_eq!(client.post_receipt(&token, "twice-2", &body).await, 201);
    // A created receipt sent again, with nothing failed in between.
    assert_eq!(client.post_receipt(&token, "twice-1", &body).await, 409);
    let report = report(&sim, "").await;
    assert_eq!(
        failed(&report),
        BTreeSet::from(["errors.rate-limit".to_owned(), "receipts.once".to_owned()]),
        "{report:#}"
    );
    let text = report.to_string();
    assert!(text.contains("after a 429 with Retry-After: 2"), "{text}");
    assert!(
        text.contains("this receipt was sent again after the API had answered 201 for it"),
        "{text}"
    );
    sim.shutdown().await.expect("stopped");
}
