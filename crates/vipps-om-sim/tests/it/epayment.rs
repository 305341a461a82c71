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
