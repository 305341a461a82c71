//! Merchants from a TOML file: separate data, tokens bound to their
//! merchant; and token expiry.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use vipps_om_sim::Simulator;

use crate::support::{Api, MERCHANTS_TOML, SetHeader, category, category_v3, receipt, send, token};

fn merchants_file() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "vipps-om-sim-merchants-{}.toml",
        uuid::Uuid::new_v4()
    ));
    std::fs::write(&path, MERCHANTS_TOML).expect("temp file written");
    path
}

async fn two_merchants() -> (Api, vipps_om_sim::Merchant, String) {
    let path = merchants_file();
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
async fn merchants_see_only_their_own_orders_categories_and_images() {
    let (api, other, other_token) = two_merchants().await;
    assert_eq!(
        api.post_json("/order-management/v2/ecom/receipts/same-id", &receipt())
            .await
            .status,
        201
    );
    let added = api
        .post_json(
            "/order-management/v3/categories",
            &category_v3("same-id", "GENERAL"),
        )
        .await;
    let category_id = added.body["categoryId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(api.upload_png("logo").await.status, 200);

    let as_other = |method: Method, path: &str| api.as_merchant(method, path, &other, &other_token);
    assert_eq!(
        send(as_other(Method::GET, "/order-management/v2/ecom/same-id"))
            .await
            .status,
        404
    );
    let path = format!("/order-management/v3/categories/{category_id}");
    assert_eq!(send(as_other(Method::GET, &path)).await.status, 404);
    assert_eq!(send(as_other(Method::DELETE, &path)).await.status, 404);
    let listed = send(as_other(
        Method::GET,
        "/order-management/v3/categories?orderId=same-id",
    ))
    .await;
    assert_eq!(listed.body, json!({"categories": []}));
    // The other merchant cannot use the first one's image, but may upload
    // its own under the same id (images are per merchant).
    let mut with_image = category("GENERAL");
    with_image["imageId"] = json!("logo");
    let resp = send(
        as_other(Method::PUT, "/order-management/v2/ecom/categories/same-id").json(&with_image),
    )
    .await;
    assert_eq!(resp.invalid_params(), vec!["imageId"]);
    let upload = send(as_other(Method::POST, "/order-management/v1/images").json(
        &crate::support::image_body("logo", &crate::support::png(200, 200)),
    ))
    .await;
    assert_eq!(upload.status, 200);
    // And its own receipt for the same orderId is a different order.
    let resp =
        send(as_other(Method::POST, "/order-management/v2/ecom/receipts/same-id").json(&receipt()))
            .await;
    assert_eq!(resp.status, 201);
    // The first merchant's category is untouched.
    assert_eq!(api.get(&path).await.status, 200);
}

#[tokio::test]
async fn a_token_only_works_with_its_own_merchants_keys() {
    let (api, other, other_token) = two_merchants().await;
    // Merchant B's token with merchant A's subscription key and MSN.
    let resp = send(
        api.bare(Method::GET, "/order-management/v2/ecom/x")
            .header("Authorization", format!("Bearer {other_token}"))
            .header("Ocp-Apim-Subscription-Key", api.merchant.subscription_key())
            .header("Merchant-Serial-Number", "123456"),
    )
    .await;
    assert_eq!(resp.status, 401);
    assert_eq!(
        resp.body["message"],
        "Unauthorized. Access token is missing or invalid."
    );
    // B's keys and token with A's MSN.
    let resp = send(
        api.as_merchant(
            Method::GET,
            "/order-management/v2/ecom/x",
            &other,
            &other_token,
        )
        .set("Merchant-Serial-Number", "123456"),
    )
    .await;
    assert_eq!(resp.status, 403);
    // A's client id with B's subscription key.
    let resp = send(
        api.bare(Method::POST, "/accesstoken/get")
            .header("client_id", api.merchant.client_id())
            .header("client_secret", api.merchant.client_secret())
            .header("Ocp-Apim-Subscription-Key", other.subscription_key()),
    )
    .await;
    assert_eq!(resp.status, 401);
    assert_eq!(resp.body["error"], "invalid_client");
    let counters = api.sim.counters();
    assert_eq!(counters.token_requests_for("654321"), 2);
    assert_eq!(counters.tokens_issued.get("654321"), Some(&1));
    assert_eq!(counters.token_requests_for("123456"), 1);
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime() {
    let config = Simulator::builder()
        .token_ttl(Duration::from_millis(1000))
        .build()
        .expect("valid");
    let api = Api::start_with(config).await;
    let fresh = api.get("/order-management/v2/ecom/x").await;
    assert_eq!(fresh.status, 404, "the token works while fresh");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let expired = api.get("/order-management/v2/ecom/x").await;
    assert_eq!(expired.status, 401);
    assert_eq!(
        expired.body["message"],
        "Unauthorized. Access token is missing or invalid."
    );
    // The lifetime is announced in whole seconds.
    let resp = send(
        api.bare(Method::POST, "/accessToken/get")
            .header("client_id", "demo-client-id")
            .header("client_secret", "demo-client-secret")
            .header("Ocp-Apim-Subscription-Key", "demo-subscription-key"),
    )
    .await;
    assert_eq!(resp.body["expires_in"], "1");
}

#[tokio::test]
async fn a_bad_merchants_file_is_refused_naming_the_line() {
    let path = std::env::temp_dir().join(format!("vipps-om-sim-bad-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(
        &path,
        MERCHANTS_TOML.replace("client_id = \"shop-three-id\"", "client_id = 5"),
    )
    .expect("temp file written");
    let err = Simulator::builder()
        .merchants_file(&path)
        .build()
        .unwrap_err()
        .to_string();
    let _ = std::fs::remove_file(&path);
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("line 10"), "{err}");
    let missing = Simulator::builder()
        .merchants_file("/nonexistent/merchants.toml")
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("cannot read the merchants file"),
        "{missing}"
    );
}
