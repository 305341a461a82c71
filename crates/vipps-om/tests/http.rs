//! HTTP behaviour of the client against a wiremock server: headers, token
//! lifecycle, retries, 409 outcomes and unreadable bodies.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{
    AddCategoryRequest, Amount, AuthFailure, CategoryType, Client, ClientBuilder, Credentials,
    Currency, Delivered, Endpoint, Error, Image, ImageId, MerchantSerialNumber, OrderId,
    PaymentType, Receipt, RetryPolicies, RetryPolicy, SystemInfo, TaxRate,
};
use wiremock::matchers::{header, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = "client-secret-value-1";
const SUB_KEY: &str = "subscription-key-value-2";
const TOKEN: &str = "access-token-value-3";

fn fast_retries() -> RetryPolicies {
    let mut policies = RetryPolicies::default();
    for &endpoint in Endpoint::ALL {
        let mut p = policies.get(endpoint);
        p.initial_backoff = Duration::from_millis(5);
        p.max_backoff = Duration::from_millis(20);
        p.total_budget = Duration::from_secs(5);
        policies.set(endpoint, p);
    }
    policies
}

/// A client for `uri` with test credentials, named system headers, fast
/// retries and a 2 s timeout; tests adjust what they need.
fn builder(uri: &str) -> ClientBuilder {
    Client::builder()
        .base_url(uri)
        .credentials(Credentials::new(
            "client-id",
            SECRET,
            SUB_KEY,
            MerchantSerialNumber::new("123456").unwrap(),
        ))
        .system_info(SystemInfo {
            name: "acme".into(),
            version: "3.1.2".into(),
            plugin_name: "acme-webshop".into(),
            plugin_version: "4.5.6".into(),
        })
        .retry_policies(fast_retries())
        .timeout(Duration::from_secs(2))
}

fn client(server: &MockServer) -> Client {
    builder(&server.uri()).build().unwrap()
}

async fn token_mock(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/accesstoken/get"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "expires_in": "3600", "access_token": TOKEN
        })))
        .mount(server)
        .await;
}

fn receipt() -> Receipt {
    ReceiptBuilder::new(Currency::Nok)
        .line(
            LineBuilder::new("sku-1", "Socks")
                .unit_price(Amount::minor(10_000))
                .tax_rate(TaxRate::from_percent(25)),
        )
        .build()
        .unwrap()
}

fn order() -> OrderId {
    OrderId::new("order-1").unwrap()
}

async fn requests_to(server: &MockServer, path_prefix: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path().starts_with(path_prefix))
        .collect()
}

fn header_of<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn every_request_carries_the_vipps_headers() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path("/order-management/v2/ecom/receipts/order-1"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json("16328cb8-d769-4c53-90ad-e19777823f0a"),
        )
        .mount(&server)
        .await;

    let outcome = client(&server)
        .receipts()
        .add(&PaymentType::Ecom, &order(), &receipt())
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Delivered::Created(Some("16328cb8-d769-4c53-90ad-e19777823f0a".into()))
    );

    let all = server.received_requests().await.unwrap();
    assert_eq!(all.len(), 2);
    for request in &all {
        assert_eq!(header_of(request, "Merchant-Serial-Number"), Some("123456"));
        assert_eq!(
            header_of(request, "Ocp-Apim-Subscription-Key"),
            Some(SUB_KEY)
        );
        assert_eq!(header_of(request, "Vipps-System-Name"), Some("acme"));
        assert_eq!(header_of(request, "Vipps-System-Version"), Some("3.1.2"));
        assert_eq!(
            header_of(request, "Vipps-System-Plugin-Name"),
            Some("acme-webshop")
        );
        assert_eq!(
            header_of(request, "Vipps-System-Plugin-Version"),
            Some("4.5.6")
        );
    }
    let token_request = &all[0];
    assert_eq!(header_of(token_request, "client_id"), Some("client-id"));
    assert_eq!(header_of(token_request, "client_secret"), Some(SECRET));
    assert!(token_request.body.is_empty());
    let api_request = &all[1];
    assert_eq!(
        header_of(api_request, "Authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        header_of(api_request, "Content-Type"),
        Some("application/json")
    );
    assert!(header_of(api_request, "client_secret").is_none());
    let sent: Receipt = serde_json::from_slice(&api_request.body).unwrap();
    assert_eq!(sent, receipt());
}

#[tokio::test]
async fn default_system_headers_name_this_library() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    let client = Client::builder()
        .base_url(&server.uri())
        .credentials(Credentials::new(
            "id",
            SECRET,
            SUB_KEY,
            MerchantSerialNumber::new("1").unwrap(),
        ))
        .build()
        .unwrap();
    client.token_info().await.unwrap();
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        header_of(request, "Vipps-System-Plugin-Name"),
        Some("vipps-om")
    );
    assert_eq!(
        header_of(request, "Vipps-System-Plugin-Version"),
        Some(env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn a_thousand_concurrent_calls_fetch_one_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/accesstoken/get"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(100))
                .set_body_json(json!({"access_token": TOKEN, "expires_in": 3600})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/order-management/v2/ecom/order-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;

    let client = client(&server);
    let calls = (0..1000).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.orders().get(&PaymentType::Ecom, &order()).await })
    });
    for call in futures_join(calls).await {
        call.unwrap();
    }
    assert_eq!(requests_to(&server, "/accesstoken").await.len(), 1);
    assert_eq!(requests_to(&server, "/order-management").await.len(), 1000);
}

async fn futures_join<T: Send + 'static>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_refused_token_is_replaced_once_transparently() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("GET"))
        .and(path("/order-management/v2/ecom/order-1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"statusCode": 401, "message": "Unauthorized. Access token is missing or invalid."})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/order-management/v2/ecom/order-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"category": {
            "category": "RECEIPT", "orderDetailsUrl": "https://example.com/o/1"}})),
        )
        .mount(&server)
        .await;

    let order = client(&server)
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap();
    assert_eq!(order.category.unwrap().category, CategoryType::Receipt);
    assert_eq!(requests_to(&server, "/accesstoken").await.len(), 2);
    assert_eq!(requests_to(&server, "/order-management").await.len(), 2);
}

#[tokio::test]
async fn a_token_refused_twice_is_an_access_token_error() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(path_regex("^/order-management/"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_string("Something went wrong, please try again later"),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unauthorized {
                cause: AuthFailure::AccessToken,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(requests_to(&server, "/order-management").await.len(), 2);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_refused_subscription_key_is_not_retried_and_is_named() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/accesstoken/get"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"statusCode": 401,
            "message": "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."})))
        .mount(&server)
        .await;
    let err = client(&server).token_info().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unauthorized {
                cause: AuthFailure::SubscriptionKey,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("Ocp-Apim-Subscription-Key"),
        "{err}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn bad_client_credentials_are_reported_as_such() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/accesstoken/get"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.", "error_codes": [7000215]})))
        .mount(&server)
        .await;
    let err = client(&server)
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unauthorized {
                cause: AuthFailure::ClientCredentials,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("Invalid client secret"), "{err}");
    assert!(requests_to(&server, "/order-management").await.is_empty());
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_json("a-uuid"))
        .mount(&server)
        .await;
    let category = vipps_om::Category::new(CategoryType::Delivery, "https://example.com/track/1");
    let id = client(&server)
        .categories()
        .set(&PaymentType::Recurring, &order(), &category)
        .await
        .unwrap();
    assert_eq!(id.as_deref(), Some("a-uuid"));
    let puts = requests_to(&server, "/order-management/v2/recurring/categories/order-1").await;
    assert_eq!(puts.len(), 3);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let started = Instant::now();
    client(&server)
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited only {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_beyond_the_budget_gives_up_at_once() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120"))
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = client(&server)
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(120)),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(requests_to(&server, "/order-management").await.len(), 1);
}

#[tokio::test]
async fn attempts_are_bounded() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let err = client(&server)
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 500, .. }), "{err:?}");
    assert_eq!(requests_to(&server, "/order-management").await.len(), 4);
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    for status in [400u16, 403, 404] {
        let server = MockServer::start().await;
        token_mock(&server).await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({
                "title": "t", "detail": "d", "instance": "00-1-2-00"})))
            .mount(&server)
            .await;
        let err = client(&server)
            .orders()
            .get(&PaymentType::Ecom, &order())
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(status));
        assert_eq!(
            requests_to(&server, "/order-management").await.len(),
            1,
            "status {status}"
        );
    }
}

#[tokio::test]
async fn bad_request_keeps_every_invalid_param() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "type": "https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.1",
            "title": "One or more validation errors occurred.", "detail": "BadRequest",
            "instance": "00-616e415f5af7584eb4d9369d0fe8d7cc-48b90041faff204c-00",
            "invalidParams": [{"name": "orderLines[0].name", "reason": "required"},
                              {"name": "bottomLine.currency", "reason": "invalid"}]})))
        .mount(&server)
        .await;
    let err = client(&server)
        .receipts()
        .add(&PaymentType::Ecom, &order(), &receipt())
        .await
        .unwrap_err();
    let Error::BadRequest {
        problem: Some(problem),
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(problem.invalid_params.len(), 2);
    let text = err.to_string();
    assert!(!text.contains('\n'), "Display is one line: {text}");
    let listed = err.render_problems();
    assert!(
        listed.contains("  - orderLines[0].name: required\n")
            && listed.contains("  - bottomLine.currency: invalid"),
        "{listed}"
    );
}

#[tokio::test]
async fn second_receipt_is_already_exists_but_409_after_a_retry_is_success() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path_regex("/receipts/"))
        .respond_with(ResponseTemplate::new(409).set_body_json(
            json!({"title": "Conflict", "detail": "Receipt already exists", "instance": "x"}),
        ))
        .mount(&server)
        .await;
    let err = client(&server)
        .receipts()
        .add(&PaymentType::Ecom, &order(), &receipt())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ReceiptAlreadyExists { .. }), "{err:?}");
    assert!(err.to_string().contains("already sent"));

    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path_regex("/receipts/"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("/receipts/"))
        .respond_with(ResponseTemplate::new(409))
        .mount(&server)
        .await;
    let outcome = client(&server)
        .receipts()
        .add(&PaymentType::Ecom, &order(), &receipt())
        .await
        .unwrap();
    assert_eq!(outcome, Delivered::AlreadyPresent);
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&13u32.to_be_bytes());
    v.extend_from_slice(b"IHDR");
    v.extend_from_slice(&width.to_be_bytes());
    v.extend_from_slice(&height.to_be_bytes());
    v.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    v
}

#[tokio::test]
async fn duplicate_image_is_already_exists_and_after_a_timeout_is_success() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path("/order-management/v1/images"))
        .respond_with(ResponseTemplate::new(409))
        .mount(&server)
        .await;
    let image = Image::from_bytes(ImageId::new("logo-v1").unwrap(), &png(200, 200));
    let err = client(&server).images().upload(&image).await.unwrap_err();
    assert!(
        matches!(err, Error::ImageAlreadyExists { ref image_id, .. } if image_id == "logo-v1"),
        "{err:?}"
    );

    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path("/order-management/v1/images"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/order-management/v1/images"))
        .respond_with(ResponseTemplate::new(409))
        .mount(&server)
        .await;
    let client = builder(&server.uri())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    assert_eq!(
        client.images().upload(&image).await.unwrap(),
        Delivered::AlreadyPresent
    );
}

#[tokio::test]
async fn timeouts_become_timeout_errors() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let client = builder(&server.uri())
        .retry_policies(RetryPolicies::uniform(RetryPolicy::never()))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn connection_failures_are_transport_errors() {
    // A port that was free a moment ago and has no listener now.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = builder(&uri).build().unwrap();
    let err = client.token_info().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("could not reach"));
    assert!(!err.to_string().contains('\n'), "one line: {err}");
    // The cause chain is kept: the HTTP client's own error, usable by type.
    let source = std::error::Error::source(&err).expect("a transport error has a source");
    let http = source
        .downcast_ref::<reqwest::Error>()
        .expect("the source is the reqwest error");
    assert!(http.is_connect(), "{http:?}");
    assert!(
        std::error::Error::source(&err.clone()).is_some(),
        "a clone keeps the source"
    );
}

#[tokio::test]
async fn v3_add_category_is_not_retried_after_a_server_error_but_is_after_429() {
    let request = AddCategoryRequest::new(
        order(),
        PaymentType::Ecom,
        CategoryType::Ticket,
        "https://example.com/t/1",
    );
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path("/order-management/v3/categories"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let err = client(&server)
        .categories()
        .add(&request)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(requests_to(&server, "/order-management").await.len(), 1);

    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .and(path("/order-management/v3/categories"))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/order-management/v3/categories"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"categoryId": "337f5e5d-288b-40d5-be14-901cc3acacc0"})),
        )
        .mount(&server)
        .await;
    let id = client(&server).categories().add(&request).await.unwrap();
    assert_eq!(id.to_string(), "337f5e5d-288b-40d5-be14-901cc3acacc0");
}

#[tokio::test]
async fn v3_list_get_and_delete() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    let category = json!({"categoryId": "880f5088-7708-4a5a-87d9-31e83aacc035", "orderId": "order-1",
        "paymentType": "ECOM", "type": "RECEIPT", "url": "https://www.example.com"});
    Mock::given(method("GET"))
        .and(path("/order-management/v3/categories"))
        .and(wiremock::matchers::query_param("orderId", "order-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"categories": [category.clone()]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/order-management/v3/categories/880f5088-7708-4a5a-87d9-31e83aacc035",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(category))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let client = client(&server);
    let list = client.categories().list(&order()).await.unwrap();
    assert_eq!(list.len(), 1);
    let one = client.categories().get(&list[0].category_id).await.unwrap();
    assert_eq!(one, list[0]);
    let err = client
        .categories()
        .delete(&one.category_id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn unreadable_bodies_name_the_field_and_show_a_snippet() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"receipt": {"orderLines": [{"name": 5}]}})),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    let Error::Decode {
        reason,
        snippet,
        status,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 200);
    let source = std::error::Error::source(&err).expect("a decode error has a source");
    assert!(
        source.downcast_ref::<serde_json::Error>().is_some(),
        "the source is the JSON error: {source:?}"
    );
    assert!(!err.to_string().contains('\n'), "one line: {err}");
    assert!(reason.starts_with("receipt.orderLines[0].name"), "{reason}");
    assert!(snippet.contains("orderLines"));

    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>"))
        .mount(&server)
        .await;
    let err = client(&server)
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert!(err.to_string().contains("try again later"), "{err}");
}

#[tokio::test]
async fn a_receipt_without_a_readable_id_is_still_created() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    let outcome = client(&server)
        .receipts()
        .add(&PaymentType::Ecom, &order(), &receipt())
        .await
        .unwrap();
    assert_eq!(outcome, Delivered::Created(None));
}

#[tokio::test]
async fn invalid_requests_are_not_sent_unless_validation_is_off() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json("id"))
        .mount(&server)
        .await;
    let mut bad = receipt();
    bad.order_lines[0].total_tax_amount = Amount::minor(1);
    bad.order_lines[0].name = String::new();
    let err = client(&server)
        .receipts()
        .add(&PaymentType::Ecom, &order(), &bad)
        .await
        .unwrap_err();
    let Error::Validation(report) = &err else {
        panic!("{err:?}")
    };
    let paths: Vec<_> = report.errors().map(|p| p.path.as_str()).collect();
    assert!(
        paths.contains(&"orderLines[0].name") && paths.contains(&"orderLines[0].totalAmount"),
        "{paths:?}"
    );
    assert!(requests_to(&server, "/order-management").await.is_empty());

    client(&server)
        .receipts()
        .without_validation()
        .add(&PaymentType::Ecom, &order(), &bad)
        .await
        .unwrap();
    assert_eq!(requests_to(&server, "/order-management").await.len(), 1);

    let err = client(&server)
        .receipts()
        .add(&PaymentType::Unknown("CARD".into()), &order(), &receipt())
        .await
        .unwrap_err();
    assert_eq!(err.field_problems()[0].0, "paymentType");
}

/// A `tracing` writer that keeps everything written, to search for secrets.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_reach_logs_errors_or_debug_output() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_string("Unauthorized"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("/receipts/"))
        .and(header("Ocp-Apim-Subscription-Key", SUB_KEY))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let client = client(&server);
    let errors = vec![
        client
            .orders()
            .get(&PaymentType::Ecom, &order())
            .await
            .unwrap_err(),
        client
            .receipts()
            .add(&PaymentType::Ecom, &order(), &receipt())
            .await
            .unwrap_err(),
    ];
    let info = client.token_info().await.unwrap();

    let mut text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("vipps_om.call"),
        "no spans were logged: {text}"
    );
    for e in &errors {
        text.push_str(&format!("{e} {e:?} {}", e.customer_message()));
    }
    text.push_str(&format!("{client:?} {info:?}"));
    for secret in [SECRET, SUB_KEY, TOKEN] {
        assert!(!text.contains(secret), "{secret} leaked into: {text}");
    }
}

#[test]
fn from_env_lists_every_missing_variable() {
    let err = vipps_om::ClientBuilder::from_lookup(|name| {
        (name == "VIPPS_CLIENT_ID").then(|| "id".to_owned())
    })
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("VIPPS_CLIENT_SECRET, VIPPS_SUBSCRIPTION_KEY, VIPPS_MERCHANT_SERIAL_NUMBER"),
        "{text}"
    );

    let vars = [
        ("VIPPS_CLIENT_ID", "id"),
        ("VIPPS_CLIENT_SECRET", "s"),
        ("VIPPS_SUBSCRIPTION_KEY", "k"),
        ("VIPPS_MERCHANT_SERIAL_NUMBER", "654321"),
        ("VIPPS_BASE_URL", "http://127.0.0.1:9"),
        ("VIPPS_SYSTEM_NAME", "acme"),
    ];
    let lookup = |name: &str| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    let client = vipps_om::ClientBuilder::from_lookup(lookup)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:9");
    assert_eq!(client.merchant_serial_number().as_str(), "654321");

    let bad_msn = |name: &str| {
        if name == "VIPPS_MERCHANT_SERIAL_NUMBER" {
            Some("MSN-1".to_owned())
        } else {
            lookup(name)
        }
    };
    assert!(
        vipps_om::ClientBuilder::from_lookup(bad_msn)
            .unwrap_err()
            .to_string()
            .contains("digits only")
    );
}

/// Partner keys: the token request carries the partner's keys and no
/// Merchant-Serial-Number; each merchant's calls carry its own MSN, the
/// partner's subscription key, the system headers and the one token.
#[tokio::test]
async fn partner_clients_send_each_merchants_msn_with_the_partners_token() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("GET"))
        .and(path_regex("^/order-management/v2/ecom/.*"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let partner = builder(&server.uri())
        .build_partner(Credentials::partner("partner-id", SECRET, SUB_KEY))
        .unwrap();
    for msn in ["111111", "222222"] {
        let client = partner.merchant(&MerchantSerialNumber::new(msn).unwrap());
        assert!(client.uses_partner_keys());
        assert!(
            client
                .orders()
                .get(&PaymentType::Ecom, &order())
                .await
                .is_err()
        );
    }
    let requests = server.received_requests().await.unwrap();
    let tokens: Vec<&Request> = requests
        .iter()
        .filter(|r| r.url.path() == "/accesstoken/get")
        .collect();
    assert_eq!(tokens.len(), 1, "one token for both merchants");
    assert_eq!(tokens[0].headers.get("client_id").unwrap(), "partner-id");
    assert!(tokens[0].headers.get("merchant-serial-number").is_none());
    let msns: Vec<&str> = requests
        .iter()
        .filter(|r| r.url.path() != "/accesstoken/get")
        .map(|r| {
            assert_eq!(r.headers.get("ocp-apim-subscription-key").unwrap(), SUB_KEY);
            assert_eq!(r.headers.get("vipps-system-name").unwrap(), "acme");
            assert_eq!(
                r.headers.get("authorization").unwrap().to_str().unwrap(),
                format!("Bearer {TOKEN}")
            );
            r.headers
                .get("merchant-serial-number")
                .unwrap()
                .to_str()
                .unwrap()
        })
        .collect();
    assert_eq!(msns, ["111111", "222222"]);
    let shown = format!("{partner:?}");
    assert!(
        !shown.contains(SECRET) && !shown.contains(SUB_KEY),
        "{shown}"
    );
}

/// A 403 with partner keys names the sales unit; with a merchant's own
/// keys a 403 stays `Forbidden`.
#[tokio::test]
async fn a_403_with_partner_keys_is_partner_not_linked() {
    let server = MockServer::start().await;
    token_mock(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let partner = builder(&server.uri())
        .build_partner(Credentials::partner("partner-id", SECRET, SUB_KEY))
        .unwrap();
    let error = partner
        .merchant(&MerchantSerialNumber::new("999999").unwrap())
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains(
            "these partner keys are not linked to sales unit 999999: link it in the partner portal, or use the merchant's own keys"
        ),
        "{error}"
    );
    let error = client(&server)
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Forbidden { .. }), "{error:?}");
}
