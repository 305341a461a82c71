//! `vipps-om category set` (v2) and `category add|list|get|delete` (v3).

use vipps_om::{Image, ImageId, PaymentType};
use vipps_om_sim::Route;

use crate::support::{Env, MSN, keys, png, stderr, stdout, stdout_json};

async fn upload_logo(env: &Env) {
    env.client()
        .images()
        .upload(&Image::from_bytes(
            ImageId::new("shop-logo").expect("id"),
            &png(256, 256),
        ))
        .await
        .expect("image stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn category_set_makes_order_get_show_the_button() {
    let env = Env::start().await;
    upload_logo(&env).await;
    let assert = env
        .cmd()
        .args([
            "category",
            "set",
            "order-c",
            "--category",
            "receipt",
            "--url",
            "https://shop.example/orders/c",
            "--image-id",
            "shop-logo",
        ])
        .run()
        .await
        .success();
    assert_eq!(
        stdout(&assert),
        "✓ Category set: ECOM order order-c now shows the button [Receipt] linking to https://shop.example/orders/c\n"
    );

    let assert = env
        .cmd()
        .args(["order", "get", "order-c"])
        .run()
        .await
        .success();
    let out = stdout(&assert);
    for line in [
        "Category    [Receipt] (RECEIPT)\n",
        "Link        https://shop.example/orders/c\n",
        "Image       shop-logo\n",
        "Receipt     none: no order details were sent for this payment\n",
    ] {
        assert!(out.contains(line), "{line:?} missing in:\n{out}");
    }

    // A second set replaces the button.
    env.cmd()
        .args([
            "category",
            "set",
            "order-c",
            "--category",
            "DELIVERY",
            "--url",
            "https://shop.example/track/c",
        ])
        .run()
        .await
        .success();
    let assert = env
        .cmd()
        .args(["order", "get", "order-c"])
        .run()
        .await
        .success();
    let out = stdout(&assert);
    assert!(
        out.contains("Category    [Track delivery] (DELIVERY)\n"),
        "{out}"
    );
    assert!(!out.contains("[Receipt]"), "{out}");
    let stored = env
        .sim
        .order(MSN, &PaymentType::Ecom, "order-c")
        .expect("stored");
    assert_eq!(stored.categories.len(), 1, "replaced, not added");
}

#[tokio::test(flavor = "multi_thread")]
async fn category_set_with_an_unknown_category_exits_2_naming_the_known_ones() {
    let env = Env::start().await;
    let assert = env
        .cmd()
        .args([
            "category",
            "set",
            "order-c",
            "--category",
            "invoice",
            "--url",
            "https://shop.example/o",
        ])
        .run()
        .await
        .code(2);
    let err = stderr(&assert);
    assert!(err.contains("\"INVOICE\" is not known"), "{err}");
    for known in [
        "GENERAL",
        "RECEIPT",
        "ORDER_CONFIRMATION",
        "DELIVERY",
        "TICKET",
        "BOOKING",
    ] {
        assert!(err.contains(known), "{known} in {err}");
    }
    assert_eq!(env.sim.counters().total(Route::SetCategoryV2), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn categories_v3_add_list_get_delete_round_trip() {
    let env = Env::start().await;
    upload_logo(&env).await;

    let assert = env
        .cmd()
        .args([
            "category",
            "add",
            "order-v3",
            "--type",
            "ticket",
            "--url",
            "https://shop.example/t/1",
            "--json",
        ])
        .run()
        .await
        .success();
    let added = stdout_json(&assert);
    assert_eq!(keys(&added), ["categoryId", "orderId", "warnings"]);
    let ticket = added["categoryId"].as_str().expect("id").to_owned();

    let assert = env
        .cmd()
        .args([
            "category",
            "add",
            "order-v3",
            "--type",
            "BOOKING",
            "--url",
            "https://shop.example/b/1",
            "--image-id",
            "shop-logo",
        ])
        .run()
        .await
        .success();
    let out = stdout(&assert);
    assert!(out.starts_with("✓ Category added: "), "{out}");
    assert!(out.ends_with(" (BOOKING) for order order-v3\n"), "{out}");
    let booking = out
        .trim_start_matches("✓ Category added: ")
        .split(' ')
        .next()
        .expect("id")
        .to_owned();

    // Both, oldest first.
    let assert = env
        .cmd()
        .args(["category", "list", "order-v3"])
        .run()
        .await
        .success();
    assert_eq!(
        stdout(&assert),
        format!(
            "{ticket}  TICKET [Ticket] ECOM order order-v3 → https://shop.example/t/1\n\
             {booking}  BOOKING [Booking] ECOM order order-v3 → https://shop.example/b/1, image shop-logo\n"
        )
    );
    let assert = env
        .cmd()
        .args(["category", "list", "order-v3", "--json"])
        .run()
        .await
        .success();
    let listed = stdout_json(&assert);
    assert_eq!(keys(&listed), ["categories", "orderId"]);
    let ids: Vec<&str> = listed["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .filter_map(|c| c["categoryId"].as_str())
        .collect();
    assert_eq!(ids, [ticket.as_str(), booking.as_str()]);

    let assert = env
        .cmd()
        .args(["category", "get", &ticket, "--json"])
        .run()
        .await
        .success();
    let got = stdout_json(&assert);
    assert_eq!(got["categoryId"], ticket);
    assert_eq!(got["type"], "TICKET");
    assert_eq!(got["url"], "https://shop.example/t/1");

    let assert = env
        .cmd()
        .args(["category", "delete", &ticket])
        .run()
        .await
        .success();
    assert_eq!(stdout(&assert), format!("✓ Category deleted: {ticket}\n"));

    let assert = env
        .cmd()
        .args(["category", "get", &ticket])
        .run()
        .await
        .code(1);
    let err = stderr(&assert);
    assert!(
        err.contains(&format!("category {ticket} was not found")),
        "{err}"
    );

    let assert = env
        .cmd()
        .args(["category", "list", "order-v3"])
        .run()
        .await
        .success();
    let out = stdout(&assert);
    assert!(!out.contains(&ticket) && out.contains(&booking), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn category_list_without_categories_and_get_of_a_malformed_id() {
    let env = Env::start().await;
    env.cmd()
        .args(["category", "list", "order-none"])
        .run()
        .await
        .success()
        .stdout("No v3 categories for order order-none\n");
    let assert = env
        .cmd()
        .args(["category", "get", "not-a-uuid"])
        .run()
        .await
        .code(2);
    assert!(stderr(&assert).contains("\"not-a-uuid\" is not a UUID"));
    assert_eq!(env.sim.counters().total(Route::GetCategoryV3), 0);
}
