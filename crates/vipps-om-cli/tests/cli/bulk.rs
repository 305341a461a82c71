//! `vipps-om receipt add --bulk`: many receipts, a summary, the failed
//! lines in a file that can be fixed and run again, and a run through
//! injected faults that stores every receipt exactly once.

use serde_json::{Value, json};
use vipps_om::{OrderId, PaymentType, Receipt};
use vipps_om_sim::{Fault, Route};

use crate::support::{Env, MSN, invalid_receipt, keys, small_receipt, stdout, stdout_json};

fn jsonl(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_summarises_writes_failed_lines_and_a_fixed_rerun_completes() {
    let env = Env::start().await;
    // order-1 is already stored.
    let first: Receipt = serde_json::from_value(small_receipt(0)).expect("receipt");
    env.client()
        .receipts()
        .add(
            &PaymentType::Ecom,
            &OrderId::new("order-1").expect("id"),
            &first,
        )
        .await
        .expect("stored");
    let input = jsonl(&[
        json!({"orderId": "b-1", "paymentType": "ecom", "receipt": small_receipt(1)}),
        json!({"orderId": "b-2", "receipt": invalid_receipt()}),
        json!({"orderId": "order-1", "paymentType": "ECOM", "receipt": small_receipt(0)}),
        json!("not a bulk line"),
        json!({"orderId": "b-3", "paymentType": "recurring", "receipt": small_receipt(3)}),
    ]);
    let file = env.write("receipts.jsonl", input);

    let assert = env
        .cmd()
        .args(["receipt", "add", "--bulk"])
        .arg(&file)
        .run()
        .await
        .code(1);
    let out = stdout(&assert);
    assert!(
        out.starts_with("✗ 2 sent, 1 already there, 2 failed (of 5)\n"),
        "{out}"
    );
    assert!(out.contains("  line 2: the receipt is invalid\n"), "{out}");
    assert!(
        out.contains("  line 4: the line is JSON but not an object (it is a string)"),
        "{out}"
    );
    // The failed lines go beside the input, and the summary says so.
    let failed_path = env.path("receipts.failed.jsonl");
    assert!(
        out.contains(&format!(
            "Fix them and run again with --bulk {}",
            failed_path.display()
        )),
        "{out}"
    );

    // The failed file: the two lines, each with why.
    let failed_text = std::fs::read_to_string(&failed_path).expect("failed file written");
    let mut failed: Vec<Value> = failed_text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each failed line is JSON"))
        .collect();
    assert_eq!(failed.len(), 2, "{failed_text}");
    assert_eq!(failed[0]["orderId"], "b-2");
    assert_eq!(failed[0]["error"]["line"], 2);
    assert_eq!(failed[0]["error"]["retryable"], false);
    let paths: Vec<&str> = failed[0]["error"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["path"].as_str())
        .collect();
    assert!(paths.contains(&"receipt.orderLines[0].name"), "{paths:?}");
    assert!(
        paths.contains(&"receipt.orderLines[1].totalAmount"),
        "{paths:?}"
    );
    assert_eq!(failed[1]["unparsedLine"], "\"not a bulk line\"");
    assert_eq!(failed[1]["error"]["line"], 4);
    assert!(
        failed[1]["error"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not an object")),
        "{}",
        failed[1]
    );

    // Fix both in place (the error objects stay) and run the failed file.
    failed[0]["receipt"] = small_receipt(2);
    failed[1] = json!({"orderId": "b-4", "receipt": small_receipt(4), "error": failed[1]["error"]});
    std::fs::write(&failed_path, jsonl(&failed)).expect("fixed");
    let assert = env
        .cmd()
        .args(["receipt", "add", "--bulk"])
        .arg(&failed_path)
        .run()
        .await
        .success();
    assert_eq!(
        stdout(&assert),
        format!(
            "✓ 2 sent, 0 already there, 0 failed (of 2)\nNothing is left to fix: {} is removed\n",
            failed_path.display()
        )
    );
    assert!(!failed_path.exists());

    for (order, payment_type) in [
        ("order-1", PaymentType::Ecom),
        ("b-1", PaymentType::Ecom),
        ("b-2", PaymentType::Ecom),
        ("b-3", PaymentType::Recurring),
        ("b-4", PaymentType::Ecom),
    ] {
        assert!(
            env.sim.receipt(MSN, &payment_type, order).is_some(),
            "{order} stored"
        );
    }
    assert_eq!(env.sim.orders().len(), 5);

    // The first file again: nothing is sent twice.
    let assert = env
        .cmd()
        .args(["receipt", "add", "--bulk"])
        .arg(&file)
        .args(["--json"])
        .run()
        .await
        .code(1);
    let doc = stdout_json(&assert);
    assert_eq!(keys(&doc), ["failedFile", "summary"]);
    assert_eq!(
        doc["summary"],
        json!({"total": 5, "sent": 0, "alreadyThere": 3, "failed": 2, "retryable": 0})
    );
    assert_eq!(env.sim.counters().count(Route::AddReceipt, 201), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_of_1000_receipts_through_500s_503s_and_a_429_stores_each_exactly_once() {
    const N: usize = 1000;
    let env = Env::start().await;
    let lines: Vec<Value> = (0..N)
        .map(|n| {
            json!({"orderId": format!("bulk-{n:04}"), "paymentType": "ECOM", "receipt": small_receipt(n)})
        })
        .collect();
    let file = env.write("many.jsonl", jsonl(&lines));
    for fault in [
        Fault::status(Route::AddReceipt, 500).times(20),
        Fault::status(Route::AddReceipt, 503).times(10),
        Fault::status(Route::AddReceipt, 429).retry_after(1),
    ] {
        env.sim.inject_fault(fault).expect("fault accepted");
    }

    let assert = env
        .cmd()
        .args(["receipt", "add", "--json", "--concurrency", "16", "--bulk"])
        .arg(&file)
        .run()
        .await
        .success();
    let summary = &stdout_json(&assert)["summary"];
    assert_eq!(summary["total"], N);
    assert_eq!(summary["failed"], 0);
    assert_eq!(
        summary["sent"].as_u64().unwrap_or(0) + summary["alreadyThere"].as_u64().unwrap_or(0),
        N as u64,
        "{summary}"
    );
    assert!(!env.path("many.failed.jsonl").exists());

    // Every fault was met, and still every receipt is stored exactly once.
    assert!(
        env.sim.faults().is_empty(),
        "faults left: {:?}",
        env.sim.faults()
    );
    let counters = env.sim.counters();
    assert_eq!(counters.count(Route::AddReceipt, 500), 20);
    assert_eq!(counters.count(Route::AddReceipt, 503), 10);
    assert_eq!(counters.count(Route::AddReceipt, 429), 1);
    assert_eq!(counters.count(Route::AddReceipt, 201), N as u64);
    let orders = env.sim.orders();
    assert_eq!(orders.len(), N);
    for n in 0..N {
        let order_id = format!("bulk-{n:04}");
        let stored = env
            .sim
            .receipt(MSN, &PaymentType::Ecom, &order_id)
            .unwrap_or_else(|| panic!("{order_id} is not stored"));
        assert_eq!(
            stored.bottom_line.receipt_number.as_deref(),
            Some(format!("r-{n}").as_str()),
            "{order_id} holds its own receipt"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_lines_that_failed_on_outages_are_marked_retryable_and_exit_3() {
    let env = Env::start().await;
    let file = env.write(
        "outage.jsonl",
        jsonl(&[json!({"orderId": "o-1", "receipt": small_receipt(1)})]),
    );
    // More 503s than the client's four attempts.
    env.sim
        .inject_fault(Fault::status(Route::AddReceipt, 503).times(4))
        .expect("fault accepted");
    let assert = env
        .cmd()
        .args(["receipt", "add", "--bulk"])
        .arg(&file)
        .run()
        .await
        .code(3);
    assert!(
        stdout(&assert).starts_with("✗ 0 sent, 0 already there, 1 failed (of 1)\n"),
        "{}",
        stdout(&assert)
    );
    let failed_path = env.path("outage.failed.jsonl");
    let failed: Value = serde_json::from_str(
        std::fs::read_to_string(&failed_path)
            .expect("failed file")
            .trim(),
    )
    .expect("JSON");
    assert_eq!(failed["error"]["retryable"], true);
    assert!(env.sim.orders().is_empty());

    // When the API is back, the failed file goes through as it is.
    let assert = env
        .cmd()
        .args(["receipt", "add", "--bulk"])
        .arg(&failed_path)
        .run()
        .await
        .success();
    assert_eq!(
        stdout(&assert),
        format!(
            "✓ 1 sent, 0 already there, 0 failed (of 1)\nNothing is left to fix: {} is removed\n",
            failed_path.display()
        )
    );
    assert!(env.sim.receipt(MSN, &PaymentType::Ecom, "o-1").is_some());
}
