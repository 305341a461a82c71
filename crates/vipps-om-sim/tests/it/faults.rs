//! Every fault-injection mode, over HTTP and through the Rust handle.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use vipps_om_sim::{Fault, FaultRoute, Route};

use crate::support::{Api, receipt, send};

const RECEIPT: &str = "/order-management/v2/ecom/receipts/order-1";

async fn add_fault(api: &Api, fault: serde_json::Value) -> crate::support::Resp {
    send(api.bare(Method::POST, "/_sim/faults").json(&fault)).await
}

#[tokio::test]
async fn a_status_fault_answers_the_next_count_requests_then_stops() {
    let api = Api::start().await;
    let added = add_fault(
        &api,
        json!({"route": "POST /order-management/v2/{paymentType}/receipts/{orderId}", "status": 503, "count": 2}),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.text);
    for _ in 0..2 {
        let resp = api.post_json(RECEIPT, &receipt()).await;
        assert_eq!(resp.status, 503);
        assert_eq!(resp.content_type(), Some("application/json"));
        assert_eq!(resp.body["title"], "Service Unavailable");
        assert!(resp.body["instance"].is_string());
        assert_eq!(resp.header("x-sim-fault"), Some("injected"));
        assert_eq!(resp.header("retry-after"), None);
    }
    assert_eq!(
        api.post_json(RECEIPT, &receipt()).await.status,
        201,
        "fault spent"
    );
    // A faulted request did not store anything: the first real one did.
    assert!(
        api.sim
            .receipt("123456", &vipps_om::PaymentType::Ecom, "order-1")
            .is_some()
    );
    let counters = api.sim.counters();
    assert_eq!(counters.count(Route::AddReceipt, 503), 2);
    assert_eq!(counters.count(Route::AddReceipt, 201), 1);
    assert!(api.sim.faults().is_empty());
}

#[tokio::test]
async fn a_429_fault_uses_the_gateway_format_and_retry_after() {
    let api = Api::start().await;
    add_fault(&api, json!({"route": "GET /order-management/v2/{paymentType}/{orderId}", "status": 429, "retryAfter": 3})).await;
    let resp = api.get("/order-management/v2/ecom/x").await;
    assert_eq!(resp.status, 429);
    assert_eq!(resp.header("retry-after"), Some("3"));
    assert_eq!(
        resp.body,
        json!({"statusCode": 429, "message": "Rate limit is exceeded. Try again in 3 seconds."})
    );
    // Without retryAfter a 429 still says when to come back.
    api.sim
        .inject_fault(Fault::status(Route::GetOrder, 429))
        .expect("valid fault");
    let resp = api.get("/order-management/v2/ecom/x").await;
    assert_eq!(resp.header("retry-after"), Some("1"));
    // Any status may carry Retry-After.
    add_fault(&api, json!({"route": "GET /order-management/v2/{paymentType}/{orderId}", "status": 503, "retryAfter": 2})).await;
    let resp = api.get("/order-management/v2/ecom/x").await;
    assert_eq!((resp.status, resp.header("retry-after")), (503, Some("2")));
    assert_eq!(api.get("/order-management/v2/ecom/x").await.status, 404);
}

#[tokio::test]
async fn a_delay_without_status_delays_then_answers_normally() {
    let api = Api::start().await;
    add_fault(&api, json!({"route": "POST /order-management/v2/{paymentType}/receipts/{orderId}", "delayMs": 300})).await;
    let started = Instant::now();
    let resp = api.post_json(RECEIPT, &receipt()).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(resp.status, 201);
    assert_eq!(resp.header("x-sim-fault"), None);
    assert!(api.sim.faults().is_empty(), "the delay was used up");
    assert_eq!(api.post_json(RECEIPT, &receipt()).await.status, 409);
}

#[tokio::test]
async fn a_delayed_request_is_handled_even_when_the_client_gives_up() {
    let api = Api::start().await;
    api.sim
        .inject_fault(Fault::delay(Route::AddReceipt, Duration::from_millis(400)))
        .expect("valid fault");
    let impatient = api
        .call(Method::POST, RECEIPT)
        .json(&receipt())
        .timeout(Duration::from_millis(100))
        .send()
        .await;
    assert!(impatient.is_err(), "the client timed out");
    let deadline = Instant::now() + Duration::from_secs(5);
    while api
        .sim
        .receipt("123456", &vipps_om::PaymentType::Ecom, "order-1")
        .is_none()
    {
        assert!(
            Instant::now() < deadline,
            "never stored after the client left"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(api.post_json(RECEIPT, &receipt()).await.status, 409);
}

#[tokio::test]
async fn a_star_fault_hits_every_route_including_the_token_service() {
    let api = Api::start().await;
    add_fault(&api, json!({"route": "*", "status": 500, "count": 2})).await;
    let token = send(
        api.bare(Method::POST, "/accesstoken/get")
            .header("client_id", "demo-client-id")
            .header("client_secret", "demo-client-secret")
            .header("Ocp-Apim-Subscription-Key", "demo-subscription-key"),
    )
    .await;
    assert_eq!(token.status, 500);
    assert_eq!(token.body["title"], "Internal Server Error");
    assert_eq!(
        api.get("/order-management/v3/categories?orderId=x")
            .await
            .status,
        500
    );
    assert_eq!(
        api.get("/order-management/v3/categories?orderId=x")
            .await
            .status,
        200
    );
    // Faults act before authentication, and never on control routes.
    api.sim
        .inject_fault(Fault::status(FaultRoute::Any, 503))
        .expect("valid");
    assert_eq!(
        send(api.bare(Method::GET, "/_sim/counters")).await.status,
        200
    );
    assert_eq!(
        send(api.bare(Method::GET, "/order-management/v2/ecom/x"))
            .await
            .status,
        503
    );
}

#[tokio::test]
async fn an_injected_401_looks_like_an_expired_token() {
    let api = Api::start().await;
    api.sim
        .inject_fault(Fault::status(Route::GetOrder, 401))
        .expect("valid");
    let resp = api.get("/order-management/v2/ecom/x").await;
    assert_eq!(resp.status, 401);
    assert_eq!(
        resp.body["message"],
        "Unauthorized. Access token is missing or invalid."
    );
}

#[tokio::test]
async fn faults_are_listed_validated_and_cleared() {
    let api = Api::start().await;
    let bad = add_fault(&api, json!({"route": "GET /nowhere", "status": 503})).await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("is not a route")
    );
    let bad = add_fault(&api, json!({"route": "*", "status": 200})).await;
    assert_eq!(bad.status, 400);
    let bad = send(api.bare(Method::POST, "/_sim/faults").body("nope")).await;
    assert_eq!(bad.status, 400);

    add_fault(&api, json!({"route": "*", "status": 503, "count": 5})).await;
    add_fault(
        &api,
        json!({"route": "post /accessToken/get", "delayMs": 10}),
    )
    .await;
    let listed = send(api.bare(Method::GET, "/_sim/faults")).await;
    assert_eq!(listed.body["faults"][0]["count"], 5);
    assert_eq!(listed.body["faults"][1]["route"], "POST /accesstoken/get");
    let cleared = send(api.bare(Method::DELETE, "/_sim/faults")).await;
    assert_eq!(cleared.status, 204);
    assert!(api.sim.faults().is_empty());
    assert_eq!(api.get("/order-management/v2/ecom/x").await.status, 404);
}
