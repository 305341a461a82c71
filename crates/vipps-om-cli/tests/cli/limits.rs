//! Inputs beyond the documented limits (issue 10, items 9 and 10): a
//! single document over 8 MiB is refused before it is read whole or sent,
//! a `--bulk` line over 8 MiB fails alone while the rest goes through, and
//! sums beyond an amount are refused naming the field, locally and by the
//! simulator.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vipps_om::PaymentType;
use vipps_om_sim::Route;

use crate::support::{Env, MSN, small_receipt, stderr, stderr_json, stdout};

/// The documented limit on one document (`--file`, stdin, a bulk line).
const LIMIT: usize = 8 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread")]
async fn receipt_validate_of_dev_zero_stops_at_once_with_the_limit_named() {
    let env = Env::start().await;
    let started = Instant::now();
    let assert = env
        .bare()
        .args(["receipt", "validate", "--file", "/dev/zero"])
        .run()
        .await
        .code(2);
    // Generous: reading 8 MiB takes milliseconds; the old code never ended.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        stderr(&assert),
        "error: /dev/zero is larger than 8 MiB, the most vipps-om sends in one request (a receipt is far smaller): check that this is the right file; for many receipts use --bulk FILE.jsonl\n"
    );

    // The same from stdin, as JSON.
    let assert = env
        .bare()
        .args(["receipt", "validate", "--json", "--file", "-"])
        .stdin(vec![b' '; LIMIT + 1])
        .run()
        .await
        .code(2);
    let error = &stderr_json(&assert)["error"];
    assert_eq!(error["kind"], "too_large");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("stdin is larger than 8 MiB")),
        "{error}"
    );

    // Exactly the limit is read (and then judged as JSON).
    let mut at_limit = small_receipt(1).to_string().into_bytes();
    at_limit.resize(LIMIT, b' ');
    let file = env.write("at-limit.json", at_limit);
    env.bare()
        .args(["receipt", "validate", "--file"])
        .arg(&file)
        .run()
        .await
        .success();
}

#[tokio::test(flavor = "multi_thread")]
async fn receipt_add_of_a_file_over_the_limit_sends_nothing() {
    let env = Env::start().await;
    let mut big = small_receipt(1).to_string().into_bytes();
    big.resize(LIMIT + 1, b' ');
    let file = env.write("big.json", big);
    let assert = env
        .cmd()
        .args(["receipt", "add", "order-big", "--file"])
        .arg(&file)
        .run()
        .await
        .code(2);
    assert!(
        stderr(&assert).contains("big.json is larger than 8 MiB"),
        "{}",
        stderr(&assert)
    );
    assert_eq!(env.sim.counters().total(Route::AddReceipt), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn image_upload_over_2_mb_is_refused_before_reading_it_whole() {
    let env = Env::start().await;
    let mut big = crate::support::png(512, 512);
    big.resize(3 * 1024 * 1024, 0);
    let file = env.write("big.png", big);
    let assert = env
        .cmd()
        .args(["image", "upload"])
        .arg(&file)
        .run()
        .await
        .code(2);
    assert!(
        stderr(&assert).contains(
            "big.png is larger than 2 MB (2097152 bytes), the most the API accepts for an image"
        ),
        "{}",
        stderr(&assert)
    );
    assert_eq!(env.sim.counters().total(Route::UploadImage), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_line_over_the_limit_fails_alone_and_the_rest_is_sent() {
    let env = Env::start().await;
    let line = |n: usize| {
        json!({"orderId": format!("long-{n}"), "receipt": small_receipt(n)}).to_string() + "\n"
    };
    let mut input = line(1).into_bytes();
    // Line 2: a JSON-looking line of 8 MiB + 1 KiB.
    input.extend_from_slice(b"{\"orderId\": \"huge\", \"pad\": \"");
    input.resize(input.len() + LIMIT + 1024, b'x');
    input.extend_from_slice(b"\"}\n");
    input.extend_from_slice(line(3).as_bytes());
    let file = env.write("long.jsonl", input);

    let assert = env
        .cmd()
        .args(["receipt", "add", "--bulk"])
        .arg(&file)
        .run()
        .await
        .code(1);
    let out = stdout(&assert);
    assert!(
        out.starts_with("✗ 2 sent, 0 already there, 1 failed (of 3)\n"),
        "{out}"
    );
    assert!(
        out.contains("  line 2: the line is longer than 8 MiB"),
        "{out}"
    );
    for order in ["long-1", "long-3"] {
        assert!(
            env.sim.receipt(MSN, &PaymentType::Ecom, order).is_some(),
            "{order} stored"
        );
    }
    let failed_text =
        std::fs::read_to_string(env.path("long.failed.jsonl")).expect("failed file written");
    assert!(
        failed_text.len() < 4096,
        "the long line is not copied whole"
    );
    let failed: Value = serde_json::from_str(failed_text.trim()).expect("one JSON line");
    assert_eq!(failed["error"]["line"], 2);
    assert_eq!(failed["error"]["retryable"], false);
    assert!(
        failed["unparsedLine"]
            .as_str()
            .is_some_and(|s| s.starts_with("{\"orderId\": \"huge\"")),
        "{failed}"
    );
}

/// Two lines of `i64::MAX`: each is a valid line, their sum is not an
/// amount.
fn overflowing_receipt() -> Value {
    let line = |id: &str| {
        json!({"name": id, "id": id, "totalAmount": i64::MAX, "totalAmountExcludingTax": i64::MAX,
               "totalTaxAmount": 0, "taxRate": 0,
               "unitInfo": {"unitPrice": null, "quantity": "1"}})
    };
    json!({"orderLines": [line("a"), line("b")], "bottomLine": {"currency": "NOK"}})
}

#[tokio::test(flavor = "multi_thread")]
async fn sums_beyond_an_amount_are_refused_locally_and_by_the_simulator() {
    // Strict mode: the simulator's default mode only warns about sums
    // production is not documented to refuse.
    let env = Env::strict().await;
    let file = env.write("huge.json", overflowing_receipt().to_string());
    let assert = env
        .bare()
        .args(["receipt", "validate", "--file"])
        .arg(&file)
        .run()
        .await
        .code(2);
    let err = stderr(&assert);
    assert!(
        err.contains(
            "✗ orderLines[1].totalAmount: the sum of the lines' totalAmount does not fit in an amount"
        ),
        "{err}"
    );

    // Sent without local validation, the simulator refuses it with the
    // field named, and nothing is stored.
    let assert = env
        .cmd()
        .args(["receipt", "add", "order-huge", "--no-validate", "--file"])
        .arg(&file)
        .run()
        .await
        .code(1);
    let err = stderr(&assert);
    assert!(err.contains("✗ orderLines[1].totalAmount: "), "{err}");
    assert!(env.sim.orders().is_empty());
    assert_eq!(env.sim.counters().count(Route::AddReceipt, 400), 1);
}
