//! Receipts: once per order, also under concurrency; GET v2.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::task::JoinSet;
use vipps_om::PaymentType;

use crate::support::{Api, receipt, send};

#[tokio::test]
async fn a_receipt_is_created_once_then_conflicts() {
    let api = Api::start().await;
    let path = "/order-management/v2/ecom/receipts/order-1";
    let first = api.post_json(path, &receipt()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.content_type(), Some("application/json"));
    let id = first.body.as_str().unwrap_or_default();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{}", first.text);

    let second = api.post_json(path, &receipt()).await;
    assert_eq!(second.status, 409);
    assert_eq!(second.body["title"], "Conflict");
    assert!(
        second.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("ECOM order 'order-1'")
    );

    // The same orderId as RECURRING is another payment.
    let other = api
        .post_json(
            "/order-management/v2/recurring/receipts/order-1",
            &receipt(),
        )
        .await;
    assert_eq!(other.status, 201);
    let stored = api.sim.order("123456", &PaymentType::Ecom, "order-1");
    assert_eq!(
        stored.and_then(|o| o.receipt_id).map(|u| u.to_string()),
        Some(id.to_owned())
    );
}

#[tokio::test]
async fn exactly_one_of_100_parallel_identical_receipts_wins() {
    let api = Arc::new(Api::start().await);
    let mut tasks = JoinSet::new();
    for _ in 0..100 {
        let api = Arc::clone(&api);
        tasks.spawn(async move {
            api.post_json("/order-management/v2/ecom/receipts/race-1", &receipt())
                .await
                .status
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = tasks.join_next().await {
        statuses.push(status.expect("task ran"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        99,
        "{statuses:?}"
    );
    let counters = api.sim.counters();
    assert_eq!(counters.count(vipps_om_sim::Route::AddReceipt, 409), 99);
}

#[tokio::test]
async fn get_returns_the_receipt_as_stored_and_leaves_out_the_missing_category() {
    let api = Api::start().await;
    let mut body = receipt();
    body["orderLines"][0]["isShipping"] = json!(false);
    body["bottomLine"]["barcode"] = json!({"format": "CODE 39", "data": "SC0527013501 "});
    body["unknownField"] = json!("dropped");
    assert_eq!(
        api.post_json("/order-management/v2/ecom/receipts/o-2", &body)
            .await
            .status,
        201
    );
    let got = api.get("/order-management/v2/eCom/o-2").await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.content_type(), Some("application/json"));
    let object = got.body.as_object().cloned().unwrap_or_default();
    assert_eq!(object.keys().collect::<Vec<_>>(), vec!["receipt"]);
    let mut expected = body.clone();
    expected.as_object_mut().map(|o| o.remove("unknownField"));
    assert_eq!(got.body["receipt"], expected);
}

#[tokio::test]
async fn get_of_an_order_without_anything_is_404() {
    let api = Api::start().await;
    let resp = api.get("/order-management/v2/ecom/never-seen").await;
    assert_eq!(resp.status, 404);
    assert_eq!(resp.body["title"], "Not Found");
    for field in ["type", "title", "detail", "instance"] {
        assert!(resp.body[field].is_string(), "{field}");
    }
}

#[tokio::test]
async fn a_receipt_post_to_the_accesstoken_style_camel_case_path_still_works() {
    // Official examples use both /accesstoken/get and /accessToken/get; the
    // Postman collection posts receipts to /v2/eCom/...
    let api = Api::start().await;
    let resp = send(
        api.call(
            reqwest::Method::POST,
            "/order-management/v2/eCom/receipts/postman-1",
        )
        .header("Accept", "application/json")
        .json(&receipt()),
    )
    .await;
    assert_eq!(resp.status, 201);
    let listed: Vec<Value> = api
        .sim
        .orders()
        .into_iter()
        .map(|o| json!([o.merchant_serial_number, o.payment_type, o.order_id]))
        .collect();
    assert_eq!(listed, vec![json!(["123456", "ECOM", "postman-1"])]);
}
