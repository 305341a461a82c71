//! Generated requests through the router in-process: arbitrary methods,
//! paths, headers and bodies (valid, near-valid and garbage) never get a
//! 5xx (no fault is injected here) and never panic, and every JSON answer
//! is well-formed JSON.

use axum::body::Body;
use axum::http::Request;
use proptest::prelude::*;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use vipps_om_sim::{SimState, Simulator};

use crate::support::{category, category_v3, image_body, png, receipt};

fn method() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
    ])
}

/// A path segment: usually sensible, sometimes hostile (percent escapes,
/// non-ASCII, very long).
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["ecom", "ECOM", "Recurring", "ePayment", "order-1", "a.b_c-d",
            "337f5e5d-288b-40d5-be14-901cc3acacc0", "categories", "receipts", "images", "v1", "v2", "v3", ""])
            .prop_map(str::to_owned),
        2 => "[A-Za-z0-9._~-]{0,12}",
        1 => "(%[0-9A-Fa-f]{2}|%[g-z]{2}|%){1,4}",
        1 => "[a-z]{150,200}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(vec![
        "/order-management/v2",
        "/order-management/v3/categories",
        "/order-management/v1",
        "/order-management",
        "/accesstoken/get",
        "/accessToken/get",
        "/_sim",
        "",
    ]);
    (
        prefix,
        prop::collection::vec(segment(), 0..4),
        prop::option::of("[a-zA-Z=&%0-9]{0,20}"),
    )
        .prop_map(|(prefix, segments, query)| {
            let mut path = prefix.to_owned();
            for s in segments {
                path.push('/');
                path.push_str(&s);
            }
            if path.is_empty() {
                path.push('/');
            }
            if let Some(q) = query {
                path.push('?');
                path.push_str(&q);
            }
            path
        })
}

/// A JSON leaf that may break any field.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "\\PC{0,20}".prop_map(Value::String),
        Just(json!([])),
        Just(json!({})),
        Just(json!(u64::MAX)),
    ]
}

fn valid_body() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        receipt(),
        category("GENERAL"),
        category_v3("order-1", "TICKET"),
        image_body("img-1", &png(200, 200)),
    ])
}

/// Valid bodies with one member replaced (near-valid), or garbage.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => valid_body().prop_map(|b| serde_json::to_vec(&b).unwrap_or_default()),
        4 => (valid_body(), prop::sample::select(vec![
                "/orderLines/0/totalAmount", "/orderLines/0/unitInfo", "/orderLines/0/unitInfo/quantity",
                "/orderLines", "/bottomLine", "/bottomLine/currency", "/bottomLine/barcode", "/category",
                "/orderDetailsUrl", "/imageId", "/orderId", "/paymentType", "/type", "/url", "/src",
            ]), leaf())
            .prop_map(|(mut body, pointer, value)| {
                if let Some(target) = body.pointer_mut(pointer) {
                    *target = value;
                }
                serde_json::to_vec(&body).unwrap_or_default()
            }),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => "\\PC{0,40}".prop_map(String::into_bytes),
    ]
}

#[derive(Debug, Clone)]
struct Headers {
    subscription_key: Option<String>,
    authorization: Option<String>,
    msn: Option<String>,
    content_type: Option<String>,
    system_name: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn headers() -> impl Strategy<Value = Headers> {
    let key = prop::option::weighted(
        0.9,
        prop_oneof![3 => Just("demo-subscription-key".to_owned()), 1 => "[ -~]{0,30}"],
    );
    let auth = prop::option::weighted(
        0.9,
        prop_oneof![
            3 => Just("VALID".to_owned()),
            1 => Just("Bearer ".to_owned()),
            1 => "[ -~]{0,40}",
        ],
    );
    let msn = prop::option::weighted(
        0.9,
        prop_oneof![3 => Just("123456".to_owned()), 1 => "[ -~]{0,12}"],
    );
    let content_type = prop::option::weighted(
        0.9,
        prop_oneof![3 => Just("application/json".to_owned()), 1 => "[ -~]{0,30}"],
    );
    let system = prop::option::of("[a-z]{0,120}");
    let id = prop::option::of(prop_oneof![
        Just("demo-client-id".to_owned()),
        "[ -~]{0,20}"
    ]);
    let secret = prop::option::of(prop_oneof![
        Just("demo-client-secret".to_owned()),
        "[ -~]{0,20}"
    ]);
    (key, auth, msn, content_type, system, id, secret).prop_map(
        |(
            subscription_key,
            authorization,
            msn,
            content_type,
            system_name,
            client_id,
            client_secret,
        )| Headers {
            subscription_key,
            authorization,
            msn,
            content_type,
            system_name,
            client_id,
            client_secret,
        },
    )
}

async fn token(state: &SimState) -> String {
    let request = Request::builder()
        .method("POST")
        .uri("/accesstoken/get")
        .header("client_id", "demo-client-id")
        .header("client_secret", "demo-client-secret")
        .header("Ocp-Apim-Subscription-Key", "demo-subscription-key")
        .body(Body::empty())
        .expect("request");
    let response = vipps_om_sim::app(state.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let body: Value = serde_json::from_slice(&bytes).expect("JSON");
    body["access_token"].as_str().unwrap_or_default().to_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_request_produces_a_5xx_or_a_panic(
        method in method(),
        path in path(),
        headers in headers(),
        body in body(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let state = SimState::new(&Simulator::default());
            let token = token(&state).await;
            let mut request = Request::builder().method(method).uri(path.as_str());
            let mut add = |name: &str, value: &Option<String>| {
                if let Some(v) = value {
                    let v = if v == "VALID" { format!("Bearer {token}") } else { v.clone() };
                    if let Ok(value) = axum::http::HeaderValue::from_str(&v) {
                        request = std::mem::take(&mut request).header(name, value);
                    }
                }
            };
            add("Ocp-Apim-Subscription-Key", &headers.subscription_key);
            add("Authorization", &headers.authorization);
            add("Merchant-Serial-Number", &headers.msn);
            add("Content-Type", &headers.content_type);
            add("Vipps-System-Name", &headers.system_name);
            add("client_id", &headers.client_id);
            add("client_secret", &headers.client_secret);
            let Ok(request) = request.body(Body::from(body.clone())) else {
                return Ok(()); // not a request HTTP could carry (e.g. a bad URI)
            };
            let response = vipps_om_sim::app(state).oneshot(request).await.expect("infallible");
            let status = response.status();
            let json = response
                .headers()
                .get("content-type")
                .is_some_and(|v| v == "application/json");
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
            prop_assert!(!status.is_server_error(), "{method} {path} answered {status}: {}", String::from_utf8_lossy(&bytes));
            if json && method != "HEAD" {
                prop_assert!(serde_json::from_slice::<Value>(&bytes).is_ok(), "{method} {path}: not JSON");
            }
            Ok(())
        })?;
    }
}
