//! Data from the API never controls the terminal (issue 10, item 8), and
//! sums too large to compute show a marker, not a wrong number (item 10).
//! A tiny HTTP server (wiremock) answers like Order Management with a
//! hostile order or a hostile error; the binary's raw output bytes are
//! checked.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{CLIENT_ID, CLIENT_SECRET, Env, MSN, SUBSCRIPTION_KEY, stderr_json, stdout};

/// ESC sequences (retitle, clear screen, colour), BEL, the one-byte CSI
/// (U+009B), DEL, a carriage return and bidi overrides.
const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31m\u{9b}1;31m\u{7f}\r\u{202e}\u{2066}x";

/// Bytes that must never reach the terminal from API data: ESC, CSI (the
/// C1 byte, also as the second byte of its UTF-8 form), BEL, and the UTF-8
/// of U+202E / U+2066.
fn assert_terminal_safe(what: &str, bytes: &[u8]) {
    for bad in [0x1b_u8, 0x9b, 0x07, 0x7f, b'\r'] {
        assert!(
            !bytes.contains(&bad),
            "{what} contains byte {bad:#04x}: {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    let text = String::from_utf8_lossy(bytes);
    assert!(
        !text.contains('\u{202e}') && !text.contains('\u{2066}'),
        "{what} contains a bidi override: {text:?}"
    );
}

/// A server with the token endpoint and `GET /v2/ecom/{order}` answering
/// `status` with `body`.
async fn server(order: &str, status: u16, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/accesstoken/get"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"token_type": "Bearer", "expires_in": "3600", "access_token": "token"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/order-management/v2/ecom/{order}")))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn cmd(env: &Env, server: &MockServer) -> crate::support::Cli {
    env.bare()
        .args(["--base-url", &server.uri()])
        .env("VIPPS_CLIENT_ID", CLIENT_ID)
        .env("VIPPS_CLIENT_SECRET", CLIENT_SECRET)
        .env("VIPPS_SUBSCRIPTION_KEY", SUBSCRIPTION_KEY)
        .env("VIPPS_MERCHANT_SERIAL_NUMBER", MSN)
}

fn hostile_order() -> Value {
    let h = |s: &str| format!("{s}{HOSTILE}");
    json!({
        "category": {"category": h("RECEIPT"), "orderDetailsUrl": h("https://shop.example/o/1")},
        "receipt": {
            "orderLines": [{
                "name": h("Socks"), "id": h("sku"),
                "totalAmount": 1000, "totalAmountExcludingTax": 800, "totalTaxAmount": 200, "taxRate": 2500,
                "unitInfo": {"unitPrice": 1000, "quantity": h("1"), "quantityUnit": "PCS"},
                "productUrl": h("https://shop.example/p")
            }],
            "bottomLine": {
                "currency": "NOK", "receiptNumber": h("10042"), "posId": h("pos"),
                "barcode": {"format": "CODE 128", "data": h("123")}
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn order_get_never_prints_control_sequences_from_the_order() {
    let env = Env::start().await;
    let server = server("hostile-1", 200, hostile_order()).await;

    let assert = cmd(&env, &server)
        .args(["order", "get", "hostile-1"])
        .run()
        .await
        .success();
    let out = &assert.get_output().stdout;
    assert_terminal_safe("stdout", out);
    let text = stdout(&assert);
    // Every field is shown, with the dangerous characters replaced.
    for shown in [
        "https://shop.example/o/1\u{FFFD}]0;pwned",
        "Receipt number 10042\u{FFFD}",
        "POS pos\u{FFFD}",
        "Barcode CODE 128: 123\u{FFFD}",
        "Socks\u{FFFD}",
    ] {
        assert!(text.contains(shown), "{shown:?} missing in {text}");
    }

    // JSON keeps the data exactly (escaped), and is terminal-safe too.
    let assert = cmd(&env, &server)
        .args(["order", "get", "hostile-1", "--json"])
        .run()
        .await
        .success();
    assert_terminal_safe("JSON stdout", &assert.get_output().stdout);
    let doc: Value = serde_json::from_slice(&assert.get_output().stdout).expect("JSON");
    assert_eq!(
        doc["order"]["receipt"]["bottomLine"]["receiptNumber"],
        format!("10042{HOSTILE}"),
        "the JSON still carries the exact value"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn api_errors_never_print_control_sequences() {
    let env = Env::start().await;
    let problem = json!({
        "type": "https://example/x", "title": format!("Bad{HOSTILE}"),
        "detail": format!("detail{HOSTILE}\nsecond line{HOSTILE}"),
        "instance": format!("00-trace{HOSTILE}"),
        "invalidParams": [{"name": format!("orderLines[0]{HOSTILE}"), "reason": format!("why{HOSTILE}")}]
    });
    let server = server("hostile-2", 400, problem).await;

    let assert = cmd(&env, &server)
        .args(["order", "get", "hostile-2"])
        .run()
        .await
        .code(1);
    let err = &assert.get_output().stderr;
    assert_terminal_safe("stderr", err);
    let text = String::from_utf8_lossy(err);
    assert!(text.contains("orderLines[0]\u{FFFD}"), "{text}");
    assert!(text.contains("why\u{FFFD}"), "{text}");

    let assert = cmd(&env, &server)
        .args(["order", "get", "hostile-2", "--json"])
        .run()
        .await
        .code(1);
    assert_terminal_safe("JSON stderr", &assert.get_output().stderr);
    let error = &stderr_json(&assert)["error"];
    assert_eq!(error["problems"][0]["message"], format!("why{HOSTILE}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn totals_that_do_not_fit_show_a_marker_not_a_wrapped_number() {
    let env = Env::start().await;
    let line = |id: &str| {
        json!({"name": id, "id": id, "totalAmount": i64::MAX, "totalAmountExcludingTax": i64::MAX,
               "totalTaxAmount": 0, "taxRate": 0})
    };
    let order = json!({"receipt": {
        "orderLines": [line("a"), line("b")],
        "bottomLine": {"currency": "NOK", "tipAmount": 100}
    }});
    let server = server("huge", 200, order).await;
    let assert = cmd(&env, &server)
        .args(["order", "get", "huge"])
        .run()
        .await
        .success();
    let text = stdout(&assert);
    let total = text
        .lines()
        .find(|l| l.trim_start().starts_with("Total"))
        .unwrap_or_else(|| panic!("no Total line in {text}"));
    assert!(total.contains("(too large to add up)"), "{total}");
    // Neither wrapped (-2,00 + tip) nor saturated (i64::MAX) anywhere in a sum.
    let tax_row = text
        .lines()
        .find(|l| l.trim_start().starts_with("0 %"))
        .unwrap_or_else(|| panic!("no 0 % row in {text}"));
    assert!(tax_row.contains("(too large to add up)"), "{tax_row}");
    assert!(
        !text.contains("-1,00 kr") && !text.contains("-2,00 kr"),
        "{text}"
    );

    let assert = cmd(&env, &server)
        .args(["order", "get", "huge", "--json"])
        .run()
        .await
        .success();
    let doc: Value = serde_json::from_slice(&assert.get_output().stdout).expect("JSON");
    assert_eq!(doc["summary"]["receipt"]["total"], Value::Null, "{doc}");
    assert_eq!(doc["summary"]["receipt"]["amountPaid"], Value::Null);
}
