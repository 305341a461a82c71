//! `vipps-om order get`: the order as the customer sees it.

use std::process::Stdio;

use vipps_om::{Category, CategoryType, Image, ImageId, OrderId, PaymentType, Receipt};

use crate::support::{Env, keys, receipt, stderr, stdout, stdout_json};

/// Stores the image `shop-logo`, a RECEIPT category with it and the full
/// receipt for `order_id`, through the client library.
async fn store_full_order(env: &Env, order_id: &str, payment_type: &PaymentType) {
    let client = env.client();
    let order = OrderId::new(order_id).expect("order id");
    let image = ImageId::new("shop-logo").expect("image id");
    client
        .images()
        .upload(&Image::from_bytes(
            image.clone(),
            &crate::support::png(256, 256),
        ))
        .await
        .expect("image stored");
    client
        .categories()
        .set(
            payment_type,
            &order,
            &Category::new(
                CategoryType::Receipt,
                format!("https://shop.example/orders/{order_id}"),
            )
            .with_image_id(image),
        )
        .await
        .expect("category stored");
    let receipt: Receipt = serde_json::from_value(receipt()).expect("the sample is a receipt");
    client
        .receipts()
        .add(payment_type, &order, &receipt)
        .await
        .expect("receipt stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn order_get_renders_category_lines_totals_and_receipt_details() {
    let env = Env::start().await;
    store_full_order(&env, "order-1001", &PaymentType::Ecom).await;
    let assert = env
        .cmd()
        .args(["order", "get", "order-1001"])
        .run()
        .await
        .success();
    let out = stdout(&assert);
    assert!(!out.contains('\u{1b}'), "no colour with NO_COLOR: {out:?}");
    insta::assert_snapshot!("order_get_full", out);
}

#[tokio::test(flavor = "multi_thread")]
async fn order_get_of_an_unknown_order_exits_1_with_what_to_check() {
    let env = Env::start().await;
    let assert = env
        .cmd()
        .args(["order", "get", "no-such-order"])
        .run()
        .await
        .code(1);
    assert!(stdout(&assert).is_empty());
    let err = stderr(&assert);
    for expected in [
        "error: Vipps MobilePay has no category and no order details for ECOM order no-such-order",
        "ids are case-sensitive",
        "try --payment-type recurring",
    ] {
        assert!(err.contains(expected), "{expected:?} missing in {err}");
    }

    let assert = env
        .cmd()
        .args(["order", "get", "no-such-order", "--json"])
        .run()
        .await
        .code(1);
    // The documented shape with `exists: false` (exit 1 says it too).
    let doc = stdout_json(&assert);
    assert_eq!(doc["exists"], false);
    assert_eq!(doc["orderId"], "no-such-order");
    assert!(doc["order"].is_null() && doc["summary"].is_null());
    assert_eq!(stderr(&assert), "");
}

#[tokio::test(flavor = "multi_thread")]
async fn order_get_json_has_the_documented_shape() {
    let env = Env::start().await;
    // A receipt without a category.
    let receipt: Receipt = serde_json::from_value(receipt()).expect("receipt");
    env.client()
        .receipts()
        .add(
            &PaymentType::Ecom,
            &OrderId::new("order-json").expect("id"),
            &receipt,
        )
        .await
        .expect("stored");

    let assert = env
        .cmd()
        .args(["order", "get", "order-json", "--json"])
        .run()
        .await
        .success();
    let doc = stdout_json(&assert);
    assert_eq!(
        keys(&doc),
        [
            "exists",
            "hasCategory",
            "hasReceipt",
            "order",
            "orderId",
            "paymentType",
            "summary"
        ]
    );
    assert_eq!(doc["orderId"], "order-json");
    assert_eq!(doc["paymentType"], "ECOM");
    assert_eq!(doc["exists"], true);
    assert_eq!(doc["hasCategory"], false);
    assert_eq!(doc["hasReceipt"], true);
    assert_eq!(
        doc["order"]["receipt"]["bottomLine"]["receiptNumber"],
        "10042"
    );
    assert_eq!(
        doc["order"]["receipt"]["orderLines"][0]["totalAmount"],
        29800
    );
    // The summary in minor units, tip not included in the total.
    assert_eq!(doc["summary"]["receipt"]["total"], 231200);
    assert_eq!(doc["summary"]["receipt"]["tip"], 2000);
}

#[tokio::test(flavor = "multi_thread")]
async fn order_get_reads_recurring_orders_with_payment_type_recurring() {
    let env = Env::start().await;
    store_full_order(&env, "charge-7", &PaymentType::Recurring).await;

    let assert = env
        .cmd()
        .args(["order", "get", "charge-7"])
        .run()
        .await
        .code(1);
    assert!(stderr(&assert).contains("try --payment-type recurring"));

    let assert = env
        .cmd()
        .args(["order", "get", "charge-7", "--payment-type", "recurring"])
        .run()
        .await
        .success();
    let out = stdout(&assert);
    assert!(out.starts_with("Order charge-7 (RECURRING)"), "{out}");
    assert!(out.contains("Receipt number 10042"), "{out}");
}

/// `vipps-om order get X --json | head -c 100` must not end in a panic
/// when `head` stops reading.
#[tokio::test(flavor = "multi_thread")]
async fn order_get_into_a_closed_pipe_ends_without_a_panic() {
    let env = Env::start().await;
    store_full_order(&env, "order-pipe", &PaymentType::Ecom).await;
    let mut cmd = env
        .cmd()
        .args(["order", "get", "order-pipe", "--json"])
        .into_std();
    let output = tokio::task::spawn_blocking(move || {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        cmd.stdout(writer).stderr(Stdio::piped()).output()
    })
    .await
    .expect("joined")
    .expect("runs");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(output.status.code(), Some(101), "{err}");
}
