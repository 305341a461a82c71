//! The token service and the gateway's authentication rules.

use reqwest::Method;

use crate::support::{Api, send};

const GET_ORDER: &str = "/order-management/v2/ecom/order-1";

#[tokio::test]
async fn token_request_returns_a_jwt_bearer_token_with_expires_in_as_a_string() {
    let api = Api::start().await;
    for path in ["/accesstoken/get", "/accessToken/get"] {
        let resp = send(
            api.bare(Method::POST, path)
                .header("client_id", "demo-client-id")
                .header("client_secret", "demo-client-secret")
                .header("Ocp-Apim-Subscription-Key", "demo-subscription-key"),
        )
        .await;
        assert_eq!(resp.status, 200, "{path}: {}", resp.text);
        assert_eq!(resp.content_type(), Some("application/json"));
        assert_eq!(resp.body["token_type"], "Bearer");
        assert_eq!(resp.body["expires_in"], "3600");
        let token = resp.body["access_token"].as_str().unwrap_or_default();
        // A JWT, like production's (its claims: tests/it/epayment.rs).
        assert_eq!(token.split('.').count(), 3, "{token}");
    }
}

#[tokio::test]
async fn token_request_without_or_with_an_unknown_subscription_key_gets_the_gateway_401() {
    let api = Api::start().await;
    let missing = send(
        api.bare(Method::POST, "/accesstoken/get")
            .header("client_id", "demo-client-id")
            .header("client_secret", "demo-client-secret"),
    )
    .await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.body["statusCode"], 401);
    assert!(
        missing.body["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Access denied due to missing subscription key")
    );
    let unknown = send(
        api.bare(Method::POST, "/accesstoken/get")
            .header("client_id", "demo-client-id")
            .header("client_secret", "demo-client-secret")
            .header("Ocp-Apim-Subscription-Key", "nope"),
    )
    .await;
    assert_eq!(unknown.status, 401);
    assert!(
        unknown.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("invalid subscription key")
    );
}

#[tokio::test]
async fn token_request_with_bad_client_credentials_gets_an_azure_ad_error_without_secrets() {
    let api = Api::start().await;
    for (id, secret, code) in [
        ("demo-client-id", "wrong-secret", 7_000_215),
        ("someone-else", "demo-client-secret", 700_016),
        ("", "demo-client-secret", 900_144),
    ] {
        let resp = send(
            api.bare(Method::POST, "/accesstoken/get")
                .header("client_id", id)
                .header("client_secret", secret)
                .header("Ocp-Apim-Subscription-Key", "demo-subscription-key"),
        )
        .await;
        assert_eq!(resp.status, 401, "{id}/{secret}");
        assert_eq!(resp.body["error"], "invalid_client");
        assert_eq!(resp.body["error_codes"][0], code);
        for field in [
            "error_description",
            "timestamp",
            "trace_id",
            "correlation_id",
        ] {
            assert!(resp.body[field].is_string(), "{field}: {}", resp.text);
        }
        assert!(uuid::Uuid::parse_str(resp.body["trace_id"].as_str().unwrap_or_default()).is_ok());
        assert!(!resp.text.contains(secret), "{}", resp.text);
        // The client library reads "subscription key" as a key problem.
        assert!(!resp.text.to_lowercase().contains("subscription key"));
    }
}

#[tokio::test]
async fn api_calls_need_a_known_subscription_key() {
    let api = Api::start().await;
    let resp = send(
        api.bare(Method::GET, GET_ORDER)
            .header("Authorization", format!("Bearer {}", api.token))
            .header("Merchant-Serial-Number", "123456"),
    )
    .await;
    assert_eq!(resp.status, 401);
    assert!(
        resp.text.contains("missing subscription key"),
        "{}",
        resp.text
    );
    let resp = send(
        api.bare(Method::GET, GET_ORDER)
            .header("Authorization", format!("Bearer {}", api.token))
            .header("Ocp-Apim-Subscription-Key", "wrong")
            .header("Merchant-Serial-Number", "123456"),
    )
    .await;
    assert_eq!(resp.status, 401);
    assert!(
        resp.text.contains("invalid subscription key"),
        "{}",
        resp.text
    );
}

#[tokio::test]
async fn api_calls_need_a_valid_bearer_token() {
    let api = Api::start().await;
    let bearer_cases = [
        None,
        Some(api.token.clone()),               // no scheme
        Some(format!("bearer {}", api.token)), // scheme is case-sensitive
        Some(format!("Basic {}", api.token)),
        Some("Bearer ".to_owned()),
        Some("Bearer not-a-token".to_owned()),
    ];
    for authorization in bearer_cases {
        let mut request = api
            .bare(Method::GET, GET_ORDER)
            .header("Ocp-Apim-Subscription-Key", "demo-subscription-key")
            .header("Merchant-Serial-Number", "123456");
        if let Some(value) = &authorization {
            request = request.header("Authorization", value);
        }
        let resp = send(request).await;
        assert_eq!(resp.status, 401, "{authorization:?}");
        assert_eq!(
            resp.body,
            serde_json::json!({"statusCode": 401, "message": "Unauthorized. Access token is missing or invalid."})
        );
    }
    // The correct token passes authentication (and the order is not there).
    assert_eq!(api.get(GET_ORDER).await.status, 404);
}

#[tokio::test]
async fn merchant_serial_number_is_required_and_must_be_the_tokens_merchant() {
    let api = Api::start().await;
    let missing = send(
        api.bare(Method::GET, GET_ORDER)
            .header("Authorization", format!("Bearer {}", api.token))
            .header("Ocp-Apim-Subscription-Key", "demo-subscription-key"),
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.invalid_params(), vec!["Merchant-Serial-Number"]);

    let other = send(
        api.bare(Method::GET, GET_ORDER)
            .header("Authorization", format!("Bearer {}", api.token))
            .header("Ocp-Apim-Subscription-Key", "demo-subscription-key")
            .header("Merchant-Serial-Number", "999999"),
    )
    .await;
    assert_eq!(other.status, 403);
    assert_eq!(other.content_type(), Some("application/json"));
    assert!(
        other.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("does not belong to these API keys"),
        "{}",
        other.text
    );
}

#[tokio::test]
async fn vipps_system_headers_longer_than_100_characters_are_named() {
    let api = Api::start().await;
    let resp = send(
        api.call(Method::GET, GET_ORDER)
            .header("Vipps-System-Plugin-Name", "p".repeat(101))
            .header("Vipps-System-Plugin-Version", "v".repeat(100)),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.invalid_params(), vec!["Vipps-System-Plugin-Name"]);
}

#[tokio::test]
async fn unknown_and_removed_paths_answer_404_without_credentials() {
    let api = Api::start().await;
    for (method, path) in [
        (Method::PUT, "/order-management/v1/orders/abc"),
        (Method::GET, "/order-management/v1/orders/abc"),
        (Method::GET, "/order-management/v1/receipts/abc"),
        (Method::POST, "/order-management/v1/receipts/abc"),
    ] {
        let resp = send(api.bare(method.clone(), path)).await;
        assert_eq!(resp.status, 404, "{method} {path}");
        let detail = resp.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("no longer available"), "{detail}");
        assert!(detail.contains("/order-management/v2/"), "{detail}");
    }
    for (method, path) in [
        (Method::GET, "/nothing-here"),
        (Method::GET, "/order-management/v1/images"),
        (Method::PATCH, "/order-management/v3/categories"),
    ] {
        let resp = send(api.bare(method.clone(), path)).await;
        assert_eq!(resp.status, 404, "{method} {path}");
        // Azure API Management's own answer, not the API's ErrorResponse.
        assert_eq!(
            resp.body,
            serde_json::json!({"statusCode": 404, "message": "Resource not found"}),
            "{method} {path}"
        );
        assert_eq!(resp.content_type(), Some("application/json"));
    }
}
