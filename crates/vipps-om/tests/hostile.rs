//! Hostile answers on every response path of the client: the status line,
//! `Retry-After`, the token's `expires_in`, `Content-Length` and the body.
//! Each must end in a clean [`Error`] or a capped wait, never a panic and
//! never an unbounded wait.
//!
//! Most servers here are a raw TCP socket written by hand, because a
//! well-behaved HTTP server library refuses to send what is tested (a 199
//! final status, a `Content-Length` that lies); the rest use wiremock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::client::{MAX_RESPONSE_BYTES, MAX_TOKEN_LIFETIME, MIN_TOKEN_LIFETIME};
use vipps_om::retry::MAX_RETRY_AFTER;
use vipps_om::{
    Amount, Client, ClientBuilder, Credentials, Currency, Error, MerchantSerialNumber, OrderId,
    PaymentType, Receipt, RetryPolicies, RetryPolicy, TaxRate,
};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A generous bound for "did not wait": the machines are noisy, but a
/// capped wait of an hour or an uncapped one of centuries is far beyond.
const PROMPTLY: Duration = Duration::from_secs(15);

fn builder(uri: &str) -> ClientBuilder {
    Client::builder()
        .base_url(uri)
        .credentials(Credentials::new(
            "client-id",
            "client-secret",
            "subscription-key",
            MerchantSerialNumber::new("123456").unwrap(),
        ))
        .timeout(Duration::from_secs(5))
}

/// The default retry policies (30 s budget), as a shop would run them.
fn default_client(uri: &str) -> Client {
    builder(uri).build().unwrap()
}

/// One attempt per call, so that each hostile answer is seen once.
fn single_attempt_client(uri: &str) -> Client {
    builder(uri)
        .retry_policies(RetryPolicies::uniform(RetryPolicy::never()))
        .build()
        .unwrap()
}

/// Fast retries: several attempts within a few seconds.
fn fast_retry_client(uri: &str) -> Client {
    builder(uri)
        .retry_policies(RetryPolicies::uniform(RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            total_budget: Duration::from_secs(5),
            retry_ambiguous: true,
        }))
        .build()
        .unwrap()
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

const TOKEN_BODY: &str = r#"{"token_type":"Bearer","expires_in":"3600","access_token":"tok"}"#;

fn response(status_line: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status_line}\r\nConnection: close\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn json_response(status_line: &str, body: &str) -> Vec<u8> {
    response(
        status_line,
        &[
            ("Content-Type", "application/json".into()),
            ("Content-Length", body.len().to_string()),
        ],
        body.as_bytes(),
    )
}

/// What a raw server sends for one request: bytes, then the connection
/// is closed.
type Answer = Box<dyn Fn(&str) -> Vec<Vec<u8>> + Send + Sync>;

/// A hand-written HTTP/1.1 server: reads each request (headers and body),
/// calls `answer` with the request line, writes the parts it returns and
/// closes the connection. The token endpoint answers a valid token unless
/// `answer` handles it. Returns the base URL and a request counter.
async fn raw_server(answer: Answer) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = Arc::new(answer);
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let answer = answer.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0_u8; 4096];
                let head_end = loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let request_line = head.lines().next().unwrap_or_default().to_owned();
                counter.fetch_add(1, Ordering::SeqCst);
                let parts = if request_line.contains("/accesstoken/get") {
                    let custom = answer(&request_line);
                    if custom.is_empty() {
                        vec![json_response("200 OK", TOKEN_BODY)]
                    } else {
                        custom
                    }
                } else {
                    answer(&request_line)
                };
                for part in parts {
                    if socket.write_all(&part).await.is_err() {
                        return;
                    }
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), requests)
}

/// A raw server answering every API request (not the token) with `bytes`.
async fn answering(bytes: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    raw_server(Box::new(move |line| {
        if line.contains("/accesstoken/get") {
            Vec::new()
        } else {
            vec![bytes.clone()]
        }
    }))
    .await
}

// ------------------------------------------------------------ Retry-After

#[tokio::test]
async fn a_retry_after_beyond_any_integer_is_capped_at_one_hour() {
    for value in [
        "18446744073709551615",
        "999999999999999999999999999999999999",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let (uri, requests) = answering(response(
            "429 Too Many Requests",
            &[
                ("Retry-After", value.to_owned()),
                ("Content-Length", "0".into()),
            ],
            b"",
        ))
        .await;
        let started = Instant::now();
        let err = default_client(&uri)
            .receipts()
            .add(&PaymentType::Ecom, &order(), &receipt())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::RateLimited { retry_after: Some(d) } if d == MAX_RETRY_AFTER),
            "{value}: {err:?}"
        );
        // An hour is beyond the 30 s budget: the client gives up at once
        // instead of sleeping, and says how long it was asked to wait.
        assert!(started.elapsed() < PROMPTLY, "{value}");
        assert_eq!(
            requests.load(Ordering::SeqCst),
            2,
            "{value}: token + one attempt"
        );
        assert!(err.to_string().contains("3600 s"), "{value}: {err}");
    }
}

#[tokio::test]
async fn a_huge_retry_after_on_a_5xx_is_capped_too() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/accesstoken/get"))
        .respond_with(ResponseTemplate::new(200).set_body_string(TOKEN_BODY))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503).insert_header("Retry-After", "18446744073709551615"),
        )
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = default_client(&server.uri())
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 503, .. }), "{err:?}");
    assert!(started.elapsed() < PROMPTLY);
}

#[tokio::test]
async fn a_negative_or_garbage_retry_after_falls_back_to_the_backoff() {
    for value in ["-1", "soon", "1.5", "1e9", "0x10", "Mon, 99 Foo 2024"] {
        let (uri, requests) = answering(response(
            "429 Too Many Requests",
            &[
                ("Retry-After", value.to_owned()),
                ("Content-Length", "0".into()),
            ],
            b"",
        ))
        .await;
        let started = Instant::now();
        let err = fast_retry_client(&uri)
            .orders()
            .get(&PaymentType::Ecom, &order())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::RateLimited { retry_after: None }),
            "{value}: {err:?}"
        );
        assert!(started.elapsed() < PROMPTLY, "{value}");
        assert_eq!(
            requests.load(Ordering::SeqCst),
            4,
            "{value}: token + 3 attempts"
        );
    }
}

// ------------------------------------------------------------ status line

#[tokio::test]
async fn odd_status_codes_are_clean_errors() {
    // 599 is a server error: retried, then reported with its number.
    let (uri, requests) = answering(json_response("599 Odd", "{}")).await;
    let err = fast_retry_client(&uri)
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 599, .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(requests.load(Ordering::SeqCst), 4);

    // 999 is no class HTTP knows: reported as it is, never a success.
    let (uri, _) = answering(json_response("999 Whatever", "{}")).await;
    let err = single_attempt_client(&uri)
        .receipts()
        .add(&PaymentType::Ecom, &order(), &receipt())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(999), "{err:?}");

    // A 1xx is not a final answer; one followed by a closed connection is
    // a failed transport, not a delivered receipt.
    let (uri, _) = answering(b"HTTP/1.1 199 Early\r\n\r\n".to_vec()).await;
    let err = single_attempt_client(&uri)
        .receipts()
        .add(&PaymentType::Ecom, &order(), &receipt())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { .. } | Error::Timeout { .. }),
        "{err:?}"
    );

    // Not HTTP at all.
    let (uri, _) = answering(b"SMTP ready\r\n\r\n".to_vec()).await;
    let err = single_attempt_client(&uri)
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

// ------------------------------------------------------------ token lifetime

async fn token_answer(expires_in: serde_json::Value) -> Result<vipps_om::TokenInfo, Error> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/accesstoken/get"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "access_token": "tok", "expires_in": expires_in,
            "expires_on": "99999999999999999999999999", "ext_expires_in": -5,
        })))
        .mount(&server)
        .await;
    single_attempt_client(&server.uri()).token_info().await
}

#[tokio::test]
async fn a_token_lifetime_beyond_reason_is_capped_and_one_below_is_floored() {
    for huge in [json!(u64::MAX), json!("18446744073709551615")] {
        let info = token_answer(huge.clone()).await.unwrap();
        assert_eq!(info.lifetime, MAX_TOKEN_LIFETIME, "{huge}");
        let left = info
            .expires_at
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        assert!(
            left <= MAX_TOKEN_LIFETIME && left > MAX_TOKEN_LIFETIME / 2,
            "{huge}: {left:?}"
        );
    }
    for tiny in [json!(0), json!("0"), json!(1)] {
        let info = token_answer(tiny.clone()).await.unwrap();
        assert_eq!(info.lifetime, MIN_TOKEN_LIFETIME, "{tiny}");
    }
    assert_eq!(
        token_answer(json!("3600")).await.unwrap().lifetime,
        Duration::from_secs(3600)
    );
}

#[tokio::test]
async fn an_unreadable_token_lifetime_is_a_decode_error_naming_the_field() {
    for bad in [
        json!(-1),
        json!("-1"),
        json!(3600.5),
        json!("3600.5"),
        json!("soon"),
        json!("99999999999999999999999999"),
        json!(1e300),
        json!(null),
        json!([3600]),
    ] {
        let err = token_answer(bad.clone()).await.unwrap_err();
        assert!(
            matches!(&err, Error::Decode { status: 200, reason, .. } if reason.contains("expires_in")),
            "{bad}: {err:?}"
        );
    }
}

// ------------------------------------------------------------ length and body

#[tokio::test]
async fn a_content_length_longer_than_the_body_is_a_transport_failure() {
    let (uri, _) = answering(response(
        "200 OK",
        &[
            ("Content-Type", "application/json".into()),
            ("Content-Length", "1000".into()),
        ],
        b"{\"a\":",
    ))
    .await;
    let err = single_attempt_client(&uri)
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_content_length_shorter_than_the_body_reads_only_what_it_announced() {
    let (uri, _) = answering(response(
        "200 OK",
        &[
            ("Content-Type", "application/json".into()),
            ("Content-Length", "3".into()),
        ],
        b"{\"paymentType\":\"ECOM\"}",
    ))
    .await;
    let err = single_attempt_client(&uri)
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
}

#[tokio::test]
async fn an_announced_body_beyond_the_limit_is_not_read() {
    for length in ["18446744073709551615", "9999999999999999999999", "9437184"] {
        let (uri, _) = answering(response(
            "500 Internal Server Error",
            &[
                ("Content-Type", "application/json".into()),
                ("Content-Length", length.into()),
            ],
            b"{}",
        ))
        .await;
        let started = Instant::now();
        let err = single_attempt_client(&uri)
            .orders()
            .get(&PaymentType::Ecom, &order())
            .await
            .unwrap_err();
        // An unparseable length is a broken answer (transport); a parsed one
        // beyond the limit is not read, so the body is no problem document.
        assert!(
            matches!(
                &err,
                Error::Api {
                    status: 500,
                    problem: None
                } | Error::Transport { .. }
            ),
            "{length}: {err:?}"
        );
        assert!(started.elapsed() < PROMPTLY, "{length}");
    }
}

#[tokio::test]
async fn a_streamed_body_beyond_the_limit_is_cut_off_with_a_message_naming_it() {
    // Chunked, so no length is announced: the client must stop by itself.
    let (uri, _) = raw_server(Box::new(|line| {
        if line.contains("/accesstoken/get") {
            return Vec::new();
        }
        let mut parts = vec![
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                .to_vec(),
        ];
        let chunk = vec![b' '; 1024 * 1024];
        for _ in 0..(MAX_RESPONSE_BYTES / chunk.len() + 2) {
            let mut part = format!("{:x}\r\n", chunk.len()).into_bytes();
            part.extend_from_slice(&chunk);
            part.extend_from_slice(b"\r\n");
            parts.push(part);
        }
        parts.push(b"0\r\n\r\n".to_vec());
        parts
    }))
    .await;
    let err = single_attempt_client(&uri)
        .orders()
        .get(&PaymentType::Ecom, &order())
        .await
        .unwrap_err();
    match &err {
        Error::Decode {
            status: 200,
            snippet,
            ..
        } => assert!(snippet.contains("larger than 8 MiB"), "{snippet}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn hostile_bodies_on_every_status_are_clean_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/accesstoken/get"))
        .respond_with(ResponseTemplate::new(200).set_body_string(TOKEN_BODY))
        .mount(&server)
        .await;
    // Deeply nested JSON, invalid UTF-8, a problem with absurd fields.
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bodies: Vec<Vec<u8>> = vec![
        nested.into_bytes(),
        vec![0xff, 0xfe, 0x00, 0x80],
        br#"{"title": 1e999, "status": -99999999999999999999, "invalidParams": "x"}"#.to_vec(),
    ];
    for body in bodies {
        for status in [200_u16, 400, 404, 409, 500] {
            server.reset().await;
            Mock::given(method("POST"))
                .and(path("/accesstoken/get"))
                .respond_with(ResponseTemplate::new(200).set_body_string(TOKEN_BODY))
                .mount(&server)
                .await;
            Mock::given(path_regex("^/order-management/"))
                .respond_with(ResponseTemplate::new(status).set_body_bytes(body.clone()))
                .mount(&server)
                .await;
            let client = single_attempt_client(&server.uri());
            let got = client.orders().get(&PaymentType::Ecom, &order()).await;
            match got {
                // A JSON object with no known fields (the third body) is an
                // empty order; nothing else may read as one.
                Ok(order) if status == 200 && body.starts_with(b"{") => {
                    assert!(order.receipt.is_none() && order.category.is_none())
                }
                Ok(order) => panic!("{status}: read as {order:?}"),
                Err(err) => {
                    assert_eq!(err.status(), Some(status), "{err:?}");
                    // The message is printable and bounded.
                    assert!(err.to_string().len() < 2_000, "{status}");
                }
            }
        }
    }
}
