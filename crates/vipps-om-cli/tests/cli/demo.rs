//! `vipps-om demo`: the whole flow on the embedded simulator.

use predicates::prelude::*;

use crate::support::{CLIENT_SECRET, Env, SUBSCRIPTION_KEY, keys, stdout, stdout_json};

#[tokio::test(flavor = "multi_thread")]
async fn demo_shows_seven_steps_the_rendered_order_and_both_failures() {
    let env = Env::start().await;
    // The demo needs no credentials: none are given.
    let assert = env.bare().arg("demo").run().await.success();
    let out = stdout(&assert);

    let mut at = 0;
    for (n, title) in [
        "Access token",
        "Image",
        "Category",
        "Order details",
        "Read back",
        "An invalid receipt",
        "A second receipt for the same order",
    ]
    .iter()
    .enumerate()
    {
        let step = format!("[{}] {title} (", n + 1);
        let found = out[at..]
            .find(&step)
            .unwrap_or_else(|| panic!("step {step:?} missing or out of order in:\n{out}"));
        at += found + step.len();
    }

    // The order as the customer sees it.
    for shown in [
        "Category    [Receipt] (RECEIPT)",
        "Wool socks",
        "0.5 kg   Coffee beans",
        "Returns",
        "-199,00 kr",
        "Receipt number 10042",
        "Paid with card 327,50 kr",
    ] {
        assert!(out.contains(shown), "{shown:?} missing in:\n{out}");
    }
    // The invalid receipt: refused locally and by the API, the same fields.
    let local = out
        .find("local validation")
        .expect("local validation shown");
    let api = out.find("API (400)").expect("the API's 400 shown");
    assert!(local < api);
    for path in [
        "orderLines[0].totalAmount",
        "orderLines[1].unitInfo.quantity",
        "bottomLine.currency",
    ] {
        assert_eq!(
            out.matches(&format!("✗ {path}:")).count(),
            2,
            "{path} listed under both in:\n{out}"
        );
    }
    // The second receipt for the same order, for staff and for customers.
    assert!(
        out.contains("were already sent and cannot be changed"),
        "{out}"
    );
    assert!(out.contains("customer sees: "), "{out}");

    // Never a token or a secret.
    let token = predicate::str::is_match(crate::token::TOKEN_PATTERN).expect("regex");
    assert!(!token.eval(&out));
    // The demo merchant's public credentials appear only in the closing
    // hint's `export` block, to paste.
    let (flow, hint) = out.split_once("Try it yourself").expect("the closing hint");
    assert!(!flow.contains(CLIENT_SECRET) && !flow.contains(SUBSCRIPTION_KEY));
    assert!(hint.contains(&format!("VIPPS_CLIENT_SECRET={CLIENT_SECRET}")));
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_json_has_the_documented_keys() {
    let env = Env::start().await;
    let assert = env.bare().args(["demo", "--json"]).run().await.success();
    let doc = stdout_json(&assert);
    assert_eq!(
        keys(&doc),
        [
            "baseUrl",
            "invalidReceipt",
            "order",
            "orderId",
            "secondReceipt",
            "steps",
            "summary"
        ]
    );
    let steps = doc["steps"].as_array().expect("steps");
    let numbers: Vec<u64> = steps.iter().filter_map(|s| s["step"].as_u64()).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7]);
    for step in steps {
        assert_eq!(keys(step), ["detail", "ms", "step", "title"]);
    }
    assert!(
        doc["baseUrl"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://127.0.0.1:"))
    );
    assert!(doc["order"]["receipt"]["orderLines"].is_array());
    assert_eq!(doc["order"]["category"]["category"], "RECEIPT");
    let local = doc["invalidReceipt"]["local"].as_array().expect("local");
    let api = doc["invalidReceipt"]["api"].as_array().expect("api");
    assert!(!local.is_empty());
    let paths = |list: &[serde_json::Value]| -> Vec<String> {
        list.iter().map(|p| p[0].to_string()).collect()
    };
    assert_eq!(
        paths(local),
        paths(api),
        "the API names what validation named"
    );
    assert!(
        doc["secondReceipt"]
            .as_str()
            .is_some_and(|m| m.contains("already sent")),
        "{}",
        doc["secondReceipt"]
    );
}
