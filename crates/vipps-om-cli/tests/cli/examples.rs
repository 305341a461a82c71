//! The files in the repository's `examples/` folder, each run through the
//! command it is for, so that what a newcomer starts from always works
//! (and the invalid receipt always shows every mistake at once). Also the
//! commands' advice in their own terms: what to run when an image is
//! missing, a receipt is already stored, an order is not found.

use std::path::PathBuf;

use vipps_om::PaymentType;
use vipps_om_sim::Route;

use crate::support::{Env, MSN, filters, stderr, stdout, stdout_json};

/// A file of the top-level `examples/` folder.
fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

/// The example copied into the test's directory (commands may write
/// beside their input, e.g. `--bulk`'s failed file).
fn copied(env: &Env, name: &str) -> PathBuf {
    let bytes = std::fs::read(example(name)).expect("the example exists");
    env.write(name, bytes)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_example_receipt_is_valid() {
    let env = Env::start().await;
    let assert = env
        .bare()
        .args(["receipt", "validate", "--file"])
        .arg(example("receipt.json"))
        .run()
        .await
        .success();
    assert_eq!(
        stdout(&assert),
        "✓ The receipt is valid: 4 order line(s), total 297,20 kr\n"
    );
    // It is also accepted by the API: two tax rates, shipping, a
    // discount and a return are all within its rules.
    env.cmd()
        .args(["receipt", "add", "example-1", "--file"])
        .arg(example("receipt.json"))
        .run()
        .await
        .success();
    let stored = env
        .sim
        .order(MSN, &PaymentType::Ecom, "example-1")
        .expect("stored");
    let receipt = stored.receipt.expect("a receipt");
    assert_eq!(receipt.order_lines.len(), 4);
    assert!(
        receipt
            .order_lines
            .iter()
            .any(|l| l.is_return == Some(true))
    );
    assert!(
        receipt
            .order_lines
            .iter()
            .any(|l| l.is_shipping == Some(true))
    );
    assert!(receipt.order_lines.iter().any(|l| l.discount.is_some()));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_invalid_example_shows_every_mistake_in_one_run() {
    let env = Env::start().await;
    let assert = env
        .bare()
        .args(["receipt", "validate", "--file"])
        .arg(example("receipt-invalid.json"))
        .run()
        .await
        .code(2);
    assert!(stdout(&assert).is_empty());
    let err = stderr(&assert);
    // Offline: nothing was ever going to be sent, so it does not say so.
    assert!(!err.contains("sent"), "{err}");
    for words in [
        "totalAmount must be a whole number of øre/cents: 298.0 → 29800",
        "name must be text, not a number",
        "orderLines[2].name: name is missing",
        "write 1500 for 15 %",
    ] {
        assert!(err.contains(words), "{words:?} in {err}");
    }
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!("examples_receipt_invalid", err);
    });
    assert_eq!(env.sim.requests().len(), 0, "validate is offline");

    // The same problems, all of them, in JSON.
    let assert = env
        .bare()
        .args(["receipt", "validate", "--json", "--file"])
        .arg(example("receipt-invalid.json"))
        .run()
        .await
        .code(2);
    let doc = stdout_json(&assert);
    assert_eq!(doc["valid"], false, "{doc}");
    let problems = doc["problems"].as_array().expect("problems");
    assert_eq!(
        problems.iter().filter(|p| p["severity"] == "error").count(),
        14,
        "{doc}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_example_bulk_file_sends_each_receipt() {
    let env = Env::start().await;
    let file = copied(&env, "receipts.jsonl");
    let assert = env
        .cmd()
        .args(["receipt", "add", "--bulk"])
        .arg(&file)
        .run()
        .await
        .success();
    let out = stdout(&assert);
    assert!(out.contains("3 sent"), "{out}");
    for (payment_type, order_id) in [
        (PaymentType::Ecom, "example-order-1001"),
        (PaymentType::Ecom, "example-order-1002"),
        (PaymentType::Recurring, "example-order-1003"),
    ] {
        let stored = env.sim.order(MSN, &payment_type, order_id);
        assert!(
            stored.is_some_and(|o| o.receipt.is_some()),
            "{payment_type} {order_id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_example_image_uploads_and_the_example_category_shows_it() {
    let env = Env::start().await;
    let category_json = std::fs::read(example("category.json")).expect("category.json");
    let (category, warnings) =
        vipps_om::parse::category_from_json(&category_json).expect("a valid category");
    assert!(warnings.is_empty(), "{warnings}");
    let image_id = category
        .image_id
        .clone()
        .expect("the example names its image");

    // The image the category names, uploaded under that id.
    let assert = env
        .cmd()
        .args(["image", "upload", "--id", image_id.as_str()])
        .arg(example("logo.png"))
        .run()
        .await
        .success();
    assert!(
        stdout(&assert).starts_with(&format!("✓ Image uploaded: {image_id} ")),
        "{}",
        stdout(&assert)
    );
    let images = env.sim.images();
    assert_eq!(images.len(), 1);
    assert!(images[0].height >= 167, "the image rules want 167 px");

    // The category, with the file's values.
    env.cmd()
        .args(["category", "set", "example-2", "--category"])
        .arg(category.category.as_str())
        .args(["--url", &category.order_details_url])
        .args(["--image-id", image_id.as_str()])
        .run()
        .await
        .success();
    let stored = env
        .sim
        .order(MSN, &PaymentType::Ecom, "example-2")
        .expect("stored");
    assert_eq!(
        stored.categories[0].image_id.as_ref().map(|i| i.as_str()),
        Some(image_id.as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_category_with_an_image_never_uploaded_says_which_command_uploads_it() {
    let env = Env::start().await;
    let assert = env
        .cmd()
        .args([
            "category",
            "set",
            "order-1",
            "--category",
            "RECEIPT",
            "--url",
            "https://shop.example/o/1",
            "--image-id",
            "nope",
        ])
        .run()
        .await
        .code(1);
    let err = stderr(&assert);
    assert!(
        err.starts_with(
            "error: there is no image `nope` yet; upload it first: `vipps-om image upload FILE --id nope`, then run this command again\n"
        ),
        "{err}"
    );
    // Not the API's wording for developers.
    assert!(!err.contains("POST /v1/images"), "{err}");
    assert_eq!(env.sim.counters().total(Route::SetCategoryV2), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_receipt_and_a_missing_order_say_what_to_run() {
    let env = Env::start().await;
    let file = copied(&env, "receipt.json");
    env.cmd()
        .args(["receipt", "add", "order-7", "--file"])
        .arg(&file)
        .run()
        .await
        .success();
    let assert = env
        .cmd()
        .args(["receipt", "add", "order-7", "--file"])
        .arg(&file)
        .run()
        .await
        .code(1);
    let err = stderr(&assert);
    assert!(
        err.starts_with("error: order order-7 already has order details, and they cannot be changed; see what the customer sees with `vipps-om order get order-7 --payment-type ecom`"),
        "{err}"
    );

    let assert = env
        .cmd()
        .args(["order", "get", "order-7", "--payment-type", "recurring"])
        .run()
        .await
        .code(1);
    let out = format!("{}{}", stdout(&assert), stderr(&assert));
    assert!(out.contains("order-7"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_subscription_key_names_the_setting_to_change() {
    let env = Env::start().await;
    let assert = env
        .cmd()
        .env("VIPPS_SUBSCRIPTION_KEY", "not-the-key")
        .args(["order", "get", "order-1"])
        .run()
        .await
        .code(4);
    let err = stderr(&assert);
    assert!(
        err.starts_with("error: the subscription key was not accepted; set VIPPS_SUBSCRIPTION_KEY (or `subscription_key` in the profile)"),
        "{err}"
    );
    assert!(err.contains("`vipps-om doctor`"), "{err}");
    assert!(
        !err.contains("not-the-key"),
        "the key is never shown: {err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_example_category_and_image_are_queued_by_the_outbox_too() {
    let env = Env::start().await;
    let url = format!("sqlite://{}?mode=rwc", env.path("outbox.db").display());
    for (kind, file) in [("image", "logo.png"), ("category", "category.json")] {
        let assert = env
            .cmd()
            .env("VIPPS_OM_DATABASE_URL", &url)
            .args([
                "outbox",
                "enqueue",
                "--order-id",
                "example-3",
                "--kind",
                kind,
                "--file",
            ])
            .arg(example(file))
            .run()
            .await
            .success();
        assert!(
            stdout(&assert).contains("Queued job"),
            "{}",
            stdout(&assert)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_help_points_to_the_examples() {
    let env = Env::start().await;
    for (command, file) in [
        (
            &["receipt", "validate"][..],
            "examples/receipt-invalid.json",
        ),
        (&["receipt", "add"][..], "examples/receipts.jsonl"),
        (&["image", "upload"][..], "examples/logo.png"),
        (&["category", "set"][..], "examples/category.json"),
    ] {
        let assert = env.bare().args(command).arg("--help").run().await.success();
        assert!(
            stdout(&assert).contains(file),
            "{command:?}: {}",
            stdout(&assert)
        );
        assert!(
            example(file.trim_start_matches("examples/")).is_file(),
            "{file}"
        );
    }
}
