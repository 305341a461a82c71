//! Production's tokens (JWTs), faults aimed at one merchant, and the
//! ePayment path that shares the order's receipt slot.

use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};
use vipps_om_sim::Simulator;

use crate::support::{Api, MERCHANTS_TOML, receipt, send, token};

async fn two_merchants() -> (Api, vipps_om_sim::Merchant, String) {
    let path = std::env::temp_dir().join(format!(
        "vipps-om-sim-epayment-merchants-{}.toml",
        uuid::Uuid::new_v4()
    ));
    std::fs::write(&path, MERCHANTS_TOML).expect("temp file written");
    let config = Simulator::builder()
        .merchants_file(&path)
        .build()
        .expect("valid file");
    let _ = std::fs::remove_file(&path);
    let api = Api::start_with(config).await;
    let other = api.sim.merchant("654321").cloned().expect("file merchant");
    let other_token = token(&api.http, api.sim.base_url(), &other).await;
    (api, other, other_token)
}

#[tokio::test]
async fn tokens_are_jwts_whose_exp_minus_iat_is_expires_in() {
    let api = Api::start().await;
    let merchant = api.merchant.clone();
    let resp = send(
        api.bare(Method::POST, "/accesstoken/get")
            .header("client_id", merchant.client_id())
            .header("client_secret", merchant.client_secret())
            .header("Ocp-Apim-Subscription-Key", merchant.subscription_key()),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let token = resp.body["access_token"].as_str().expect("a token");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "header.payload.signature: {token}");
    let decode = |part: &str| -> Value {
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .expect("base64url"),
        )
        .expect("JSON")
    };
    assert_eq!(decode(parts[0])["alg"], "HS256");
    let claims = decode(parts[1]);
    let iat = claims["iat"].as_u64().expect("iat");
    let expires_in: u64 = resp.body["expires_in"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("expires_in");
    assert_eq!(claims["exp"].as_u64().expect("exp") - iat, expires_in);
    assert!(claims["nbf"].as_u64().expect("nbf") <= iat);
    // Treated as opaque, it works; revoked, it does not.
    let ok = send(api.as_merchant(
        Method::GET,
        "/order-management/v3/categories?orderId=x",
        &merchant,
        token,
    ))
    .await;
    assert_ne!(ok.status, 401, "{}", ok.text);
    api.sim.state().revoke_tokens();
    let revoked = send(api.as_merchant(
        Method::GET,
        "/order-management/v3/categories?orderId=x",
        &merchant,
        token,
    ))
    .await;
    assert_eq!(revoked.status, 401);
}

#[tokio::test]
async fn a_fault_with_an_msn_hits_only_that_merchant() {
    let (api, other, other_token) = two_merchants().await;
    let added = send(
        api.bare(Method::POST, "/_sim/faults")
            .json(&json!({"route": "*", "msn": "654321", "status": 503, "count": 5})),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let demo = api
        .post_json("/order-management/v2/ecom/receipts/order-1", &receipt())
        .await;
    assert_eq!(
        demo.status, 201,
        "the demo merchant is not hit: {}",
        demo.text
    );
    let hit = send(
        api.as_merchant(
            Method::POST,
            "/order-management/v2/ecom/receipts/order-1",
            &other,
            &other_token,
        )
        .json(&receipt()),
    )
    .await;
    assert_eq!(hit.status, 503, "{}", hit.text);
    let listed = send(api.bare(Method::GET, "/_sim/faults")).await;
    assert!(listed.text.contains("654321"), "{}", listed.text);

    let unknown = send(
        api.bare(Method::POST, "/_sim/faults")
            .json(&json!({"route": "*", "msn": "999999", "status": 503})),
    )
    .await;
    assert_eq!(unknown.status, 400, "{}", unknown.text);
    assert!(unknown.text.contains("999999"), "{}", unknown.text);
}

fn payment(reference: &str) -> Value {
    json!({
        "reference": reference,
        "amount": {"currency": "NOK", "value": 1000},
        "paymentMethod": {"type": "WALLET"},
        "userFlow": "WEB_REDIRECT",
        "returnUrl": "https://shop.example/return",
        "paymentDescription": "Wool socks",
        "receipt": receipt()
    })
}

async fn create(api: &Api, key: Option<&str>, body: &Value) -> crate::support::Resp {
    let mut request = api.call(Method::POST, "/epayment/v1/payments").json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    send(request).await
}

#[tokio::test]
async fn create_payment_answers_201_and_repeats_its_answer_for_the_same_key_and_body() {
    let api = Api::start().await;
    let body = payment("order-epay-1");
    let first = create(&api, Some("key-1"), &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["reference"], "order-epay-1");
    let url = first.body["redirectUrl"].as_str().expect("a redirectUrl");
    assert!(url.starts_with("https://"), "{url}");
    let again = create(&api, Some("key-1"), &body).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body, "same key and body → same answer");
    let other_key = create(&api, Some("key-2"), &body).await;
    assert_eq!(other_key.status, 409, "{}", other_key.text);

    let got = api.get("/epayment/v1/payments/order-epay-1").await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["reference"], "order-epay-1");
    assert_eq!(
        got.body["amount"],
        json!({"currency": "NOK", "value": 1000})
    );
    assert_eq!(got.body["state"], "CREATED");
    assert_eq!(got.body["paymentMethod"]["type"], "WALLET");
    assert!(got.body["pspReference"].is_string());
    assert_eq!(
        api.get("/epayment/v1/payments/no-such-payment")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_push_message_payment_has_no_redirect_url() {
    let api = Api::start().await;
    let mut body = payment("order-push-1");
    body["userFlow"] = json!("PUSH_MESSAGE");
    body["customer"] = json!({"phoneNumber": 4791234567u64});
    let resp = create(&api, Some("k"), &body).await;
    assert_eq!(resp.status, 201, "{}", resp.text);
    assert!(resp.body.get("redirectUrl").is_none(), "{}", resp.text);
}

#[tokio::test]
async fn create_payment_refuses_what_epayment_refuses() {
    let api = Api::start().await;
    let missing_key = create(&api, None, &payment("order-epay-2")).await;
    assert_eq!(missing_key.status, 400);
    assert!(
        missing_key
            .invalid_params()
            .contains(&"Idempotency-Key".to_owned()),
        "{}",
        missing_key.text
    );

    let long_key = "k".repeat(51);
    let resp = create(&api, Some(&long_key), &payment("order-epay-2")).await;
    assert_eq!(resp.status, 400);

    let bad = json!({"reference": "short", "amount": {"currency": "SEK", "value": -1}, "userFlow": "FAX"});
    let resp = create(&api, Some("k"), &bad).await;
    assert_eq!(resp.status, 400);
    let names = resp.invalid_params();
    for name in [
        "reference",
        "amount.currency",
        "amount.value",
        "paymentMethod",
        "userFlow",
    ] {
        assert!(names.contains(&name.to_owned()), "{name} in {names:?}");
    }

    let mut bad_receipt = payment("order-epay-3");
    bad_receipt["receipt"]["orderLines"][0]["taxRate"] = json!(20000);
    let resp = create(&api, Some("k"), &bad_receipt).await;
    assert_eq!(resp.status, 400, "{}", resp.text);
    assert!(
        resp.invalid_params()
            .contains(&"receipt.orderLines[0].taxRate".to_owned()),
        "{}",
        resp.text
    );
    assert_eq!(
        api.get("/epayment/v1/payments/order-epay-3").await.status,
        404,
        "nothing created"
    );

    // What only strict mode refuses is a warning here, named under receipt.
    let mut doubtful = payment("order-epay-6");
    doubtful["receipt"]["orderLines"][0]["totalAmount"] = json!(999);
    let resp = create(&api, Some("k"), &doubtful).await;
    assert_eq!(resp.status, 201, "{}", resp.text);
    let log = send(api.bare(Method::GET, "/_sim/requests")).await;
    assert!(
        log.text
            .contains("production may refuse this: receipt.orderLines[0]"),
        "{}",
        log.text
    );
}

#[tokio::test]
async fn a_receipt_sent_with_the_payment_takes_the_order_receipt_slot() {
    let api = Api::start().await;
    assert_eq!(
        create(&api, Some("k1"), &payment("order-epay-4"))
            .await
            .status,
        201
    );
    let om = api
        .post_json(
            "/order-management/v2/ecom/receipts/order-epay-4",
            &receipt(),
        )
        .await;
    assert_eq!(om.status, 409, "{}", om.text);
    let order = api.get("/order-management/v2/ecom/order-epay-4").await;
    assert_eq!(order.status, 200, "{}", order.text);
    assert_eq!(order.body["receipt"]["orderLines"][0]["name"], "Wool socks");
    assert_eq!(
        order.body["receipt"]["bottomLine"]["receiptNumber"],
        "0527013501"
    );

    // A payment without receipt (receiptUrl only) leaves the slot free.
    let mut body = payment("order-epay-5");
    body.as_object_mut().unwrap().remove("receipt");
    body["receiptUrl"] = json!("https://shop.example/receipts/5");
    assert_eq!(create(&api, Some("k2"), &body).await.status, 201);
    let om = api
        .post_json(
            "/order-management/v2/ecom/receipts/order-epay-5",
            &receipt(),
        )
        .await;
    assert_eq!(om.status, 201, "{}", om.text);
}

#[tokio::test]
async fn the_receipt_taken_control_call_takes_the_slot() {
    let api = Api::start().await;
    let msn = api.merchant.merchant_serial_number().as_str().to_owned();
    let path = format!("/_sim/orders/{msn}/ecom/order-taken-1/receipt-taken");
    let taken = send(api.bare(Method::POST, &path)).await;
    assert_eq!(taken.status, 204, "{}", taken.text);
    let om = api
        .post_json(
            "/order-management/v2/ecom/receipts/order-taken-1",
            &receipt(),
        )
        .await;
    assert_eq!(om.status, 409, "{}", om.text);
    assert_eq!(
        send(api.bare(Method::POST, &path)).await.status,
        409,
        "taken once"
    );
    let order = api.get("/order-management/v2/ecom/order-taken-1").await;
    assert_eq!(order.status, 200, "the order exists: {}", order.text);
    assert_eq!(order.body, json!({}), "nothing to read back");

    // With a receipt body, the GET returns it.
    let path = format!("/_sim/orders/{msn}/ecom/order-taken-2/receipt-taken");
    let taken = send(api.bare(Method::POST, &path).json(&receipt())).await;
    assert_eq!(taken.status, 204, "{}", taken.text);
    let order = api.get("/order-management/v2/ecom/order-taken-2").await;
    assert_eq!(order.body["receipt"]["orderLines"][0]["name"], "Wool socks");

    let unknown = send(api.bare(Method::POST, "/_sim/orders/999999/ecom/x1/receipt-taken")).await;
    assert_eq!(unknown.status, 400);
}
