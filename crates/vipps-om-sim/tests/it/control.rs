//! The `/_sim/` control API: request log, counters, stored data, reset.

use reqwest::Method;
use serde_json::json;
use vipps_om_sim::Route;

use crate::support::{Api, category, receipt, send};

#[tokio::test]
async fn the_request_log_shows_what_was_sent_with_every_secret_masked() {
    let api = Api::start().await;
    assert_eq!(
        api.post_json("/order-management/v2/ecom/receipts/o-1?trace=1", &receipt())
            .await
            .status,
        201
    );
    let upload = api.upload_png("logo").await;
    assert_eq!(upload.status, 200);

    let log = send(api.bare(Method::GET, "/_sim/requests")).await;
    assert_eq!(log.status, 200);
    for secret in [
        "demo-client-secret",
        "demo-subscription-key",
        api.token.as_str(),
    ] {
        assert!(
            !log.text.contains(secret),
            "{secret} leaked into {}",
            log.text
        );
    }
    let requests = log.body["requests"].as_array().cloned().unwrap_or_default();
    assert_eq!(requests.len(), 3, "token, receipt, image: {}", log.text);

    let token = &requests[0];
    assert_eq!(token["route"], "POST /accesstoken/get");
    assert_eq!(token["headers"]["client_secret"], "***");
    assert_eq!(token["headers"]["client_id"], "demo-client-id");
    assert_eq!(token["headers"]["ocp-apim-subscription-key"], "***");
    assert_eq!(token["body"], serde_json::Value::Null);

    let post = &requests[1];
    assert_eq!(post["method"], "POST");
    assert_eq!(post["path"], "/order-management/v2/ecom/receipts/o-1");
    assert_eq!(post["query"], "trace=1");
    assert_eq!(post["status"], 201);
    assert_eq!(post["merchantSerialNumber"], "123456");
    assert_eq!(post["headers"]["authorization"], "Bearer ***");
    assert_eq!(post["headers"]["merchant-serial-number"], "123456");
    assert_eq!(post["headers"]["vipps-system-name"], "acme");
    assert_eq!(post["body"], receipt());
    assert!(post["ms"].is_u64());

    // Long strings (the image's base64) are shortened.
    let src = requests[2]["body"]["src"].as_str().unwrap_or_default();
    assert!(src.len() < 120, "{src}");

    // The Rust handle sees the same log; control calls are not in it.
    assert_eq!(api.sim.requests().len(), 3);
    assert_eq!(
        send(api.bare(Method::DELETE, "/_sim/requests"))
            .await
            .status,
        204
    );
    assert!(api.sim.requests().is_empty());
}

#[tokio::test]
async fn non_json_bodies_are_logged_as_text() {
    let api = Api::start().await;
    let resp = send(
        api.call(Method::POST, "/order-management/v2/ecom/receipts/o-1")
            .header("Content-Type", "text/plain")
            .body("hello"),
    )
    .await;
    assert_eq!(resp.status, 415);
    let logged = api.sim.requests().pop().expect("logged");
    assert_eq!(logged.body, json!("hello"));
    assert_eq!(logged.status, 415);
    assert_eq!(logged.header("Authorization"), Some("Bearer ***"));
}

#[tokio::test]
async fn counters_count_tokens_per_merchant_and_requests_per_route_and_status() {
    let api = Api::start().await;
    api.get("/order-management/v2/ecom/nothing").await;
    api.get("/order-management/v2/ecom/nothing").await;
    api.put_json(
        "/order-management/v2/ecom/categories/o-1",
        &category("GENERAL"),
    )
    .await;
    send(api.bare(Method::GET, "/nowhere")).await;
    send(api.bare(Method::GET, "/order-management/v1/orders/1")).await;

    let counters = send(api.bare(Method::GET, "/_sim/counters")).await;
    assert_eq!(counters.body["tokenRequests"], json!({"123456": 1}));
    assert_eq!(counters.body["tokensIssued"], json!({"123456": 1}));
    let requests = &counters.body["requests"];
    assert_eq!(
        requests["GET /order-management/v2/{paymentType}/{orderId}"],
        json!({"404": 2})
    );
    assert_eq!(
        requests["PUT /order-management/v2/{paymentType}/categories/{orderId}"],
        json!({"200": 1})
    );
    assert_eq!(requests["POST /accesstoken/get"], json!({"200": 1}));
    assert_eq!(requests["(unknown)"], json!({"404": 1}));
    assert_eq!(requests["(deprecated)"], json!({"404": 1}));

    let typed = api.sim.counters();
    assert_eq!(typed.total(Route::GetOrder), 2);
    assert_eq!(typed.token_requests_for("123456"), 1);
}

#[tokio::test]
async fn stored_orders_and_images_are_listed() {
    let api = Api::start().await;
    api.upload_png("logo-1").await;
    let mut with_image = category("GENERAL");
    with_image["imageId"] = json!("logo-1");
    api.put_json(
        "/order-management/v2/recurring/categories/sub-1",
        &with_image,
    )
    .await;
    api.post_json("/order-management/v2/ecom/receipts/o-1", &receipt())
        .await;

    let orders = send(api.bare(Method::GET, "/_sim/orders")).await;
    let listed = orders.body["orders"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(listed.len(), 2, "{}", orders.text);
    assert_eq!(listed[0]["orderId"], "o-1");
    assert_eq!(listed[0]["receipt"], receipt());
    assert!(listed[0]["receiptId"].is_string());
    assert_eq!(listed[1]["paymentType"], "RECURRING");
    assert_eq!(listed[1]["categories"][0]["imageId"], "logo-1");
    assert_eq!(listed[1]["merchantSerialNumber"], "123456");

    let images = send(api.bare(Method::GET, "/_sim/images")).await;
    assert_eq!(
        images.body,
        json!({"images": [{"merchantSerialNumber": "123456", "imageId": "logo-1",
                           "format": "PNG", "width": 200, "height": 200, "bytes": 33}]})
    );
    let typed = api
        .sim
        .receipt("123456", &vipps_om::PaymentType::Ecom, "o-1");
    assert_eq!(typed.map(|r| r.order_lines.len()), Some(1));
}

#[tokio::test]
async fn reset_forgets_data_tokens_faults_log_and_counters() {
    let api = Api::start().await;
    api.post_json("/order-management/v2/ecom/receipts/o-1", &receipt())
        .await;
    api.upload_png("logo").await;
    api.sim
        .inject_fault(vipps_om_sim::Fault::status(Route::UploadImage, 503))
        .expect("valid");
    assert_eq!(
        send(api.bare(Method::POST, "/_sim/reset")).await.status,
        204
    );

    assert!(api.sim.orders().is_empty());
    assert!(api.sim.images().is_empty());
    assert!(api.sim.faults().is_empty());
    assert!(api.sim.requests().is_empty());
    assert_eq!(api.sim.counters(), vipps_om_sim::Counters::default());
    // The old token is gone too.
    assert_eq!(api.get("/order-management/v2/ecom/o-1").await.status, 401);
}

#[tokio::test]
async fn revoking_tokens_forces_a_new_token() {
    let api = Api::start().await;
    assert_eq!(
        send(api.bare(Method::DELETE, "/_sim/tokens")).await.status,
        204
    );
    assert_eq!(api.get("/order-management/v2/ecom/x").await.status, 401);
    let unknown = send(api.bare(Method::GET, "/_sim/nothing")).await;
    assert_eq!(unknown.status, 404);
    assert!(
        api.sim
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/_sim"))
    );
}

#[tokio::test]
async fn the_request_log_keeps_only_the_newest_entries() {
    let config = vipps_om_sim::Simulator::builder()
        .request_log_capacity(2)
        .build()
        .expect("valid");
    let api = Api::start_with(config).await;
    for i in 0..3 {
        api.get(&format!("/order-management/v2/ecom/o-{i}")).await;
    }
    let paths: Vec<String> = api.sim.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        vec![
            "/order-management/v2/ecom/o-1",
            "/order-management/v2/ecom/o-2"
        ]
    );
    assert_eq!(api.sim.requests()[1].id, 4, "ids keep counting");
}

#[tokio::test]
async fn the_control_api_has_an_index() {
    let api = Api::start().await;
    for path in ["/_sim/", "/_sim"] {
        let resp = send(api.bare(Method::GET, path)).await;
        assert_eq!(resp.status, 200, "{path}: {}", resp.text);
        let routes = resp.body["routes"].as_array().expect("routes");
        let listed: Vec<String> = routes
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap_or(""),
                    r["path"].as_str().unwrap_or("")
                )
            })
            .collect();
        for expected in [
            "POST /_sim/reset",
            "POST /_sim/faults",
            "GET /_sim/requests",
            "GET /_sim/counters",
            "GET /_sim/orders",
            "GET /_sim/images",
            "DELETE /_sim/tokens",
        ] {
            assert!(
                listed.iter().any(|l| l == expected),
                "{expected} in {listed:?}"
            );
        }
        assert!(
            routes
                .iter()
                .all(|r| r["description"].as_str().is_some_and(|d| !d.is_empty()))
        );
    }
    // Every listed GET answers 200.
    let resp = send(api.bare(Method::GET, "/_sim/")).await;
    for route in resp.body["routes"].as_array().expect("routes") {
        if route["method"] == "GET" {
            let path = route["path"].as_str().unwrap_or_default();
            assert_eq!(
                send(api.bare(Method::GET, path)).await.status,
                200,
                "{path}"
            );
        }
    }
}
