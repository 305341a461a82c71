//! End to end: the `vipps_om::Client` against the simulator, the way other
//! crates' tests use it.

use std::time::Duration;

use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{
    Amount, AuthFailure, Category, CategoryType, Currency, Delivered, Error, Image, ImageId,
    OrderId, PaymentType, TaxRate,
};
use vipps_om_sim::{Fault, Route};

fn receipt() -> vipps_om::Receipt {
    ReceiptBuilder::new(Currency::Nok)
        .line(
            LineBuilder::new("sku-1", "Wool socks")
                .unit_price(Amount::minor(14_900))
                .quantity("2")
                .tax_rate(TaxRate::from_percent(25)),
        )
        .build()
        .expect("a valid receipt")
}

#[tokio::test]
async fn the_client_library_round_trips_every_operation() {
    let sim = vipps_om_sim::spawn_default().await.expect("spawned");
    let client = sim.demo_client().expect("client");
    let order = OrderId::new("e2e-1").expect("id");

    let image = Image::from_bytes(
        ImageId::new("logo").expect("id"),
        &crate::support::png(300, 300),
    );
    assert!(
        client
            .images()
            .upload(&image)
            .await
            .expect("uploaded")
            .is_created()
    );
    let category = Category::new(CategoryType::Receipt, "https://shop.example/orders/e2e-1")
        .with_image_id(ImageId::new("logo").expect("id"));
    let id = client
        .categories()
        .set(&PaymentType::Ecom, &order, &category)
        .await
        .expect("set");
    assert!(id.is_some());
    let sent = receipt();
    let delivered = client
        .receipts()
        .add(&PaymentType::Ecom, &order, &sent)
        .await
        .expect("added");
    assert!(delivered.is_created());

    let shown = client
        .orders()
        .get(&PaymentType::Ecom, &order)
        .await
        .expect("read");
    assert_eq!(shown.category, Some(category));
    assert_eq!(shown.receipt, Some(sent.clone()));

    let listed = client.categories().list(&order).await.expect("listed");
    assert_eq!(listed.len(), 1);
    let one = client
        .categories()
        .get(&listed[0].category_id)
        .await
        .expect("one");
    assert_eq!(one.url, "https://shop.example/orders/e2e-1");
    client
        .categories()
        .delete(&listed[0].category_id)
        .await
        .expect("deleted");

    let again = client
        .receipts()
        .add(&PaymentType::Ecom, &order, &sent)
        .await;
    assert!(
        matches!(again, Err(Error::ReceiptAlreadyExists { .. })),
        "{again:?}"
    );
    let missing = client
        .orders()
        .get(&PaymentType::Ecom, &OrderId::new("nope").expect("id"))
        .await;
    assert!(
        matches!(missing, Err(Error::NotFound { .. })),
        "{missing:?}"
    );
    // One token served every call.
    assert_eq!(sim.counters().token_requests_for("123456"), 1);
}

#[tokio::test]
async fn the_client_retries_through_injected_outages_and_counts_as_delivered() {
    let sim = vipps_om_sim::spawn_default().await.expect("spawned");
    let client = sim.demo_client().expect("client");
    sim.inject_fault(
        Fault::status(Route::AddReceipt, 503)
            .times(2)
            .retry_after(0),
    )
    .expect("valid");
    let order = OrderId::new("flaky-1").expect("id");
    let delivered = client
        .receipts()
        .add(&PaymentType::Ecom, &order, &receipt())
        .await
        .expect("delivered after retries");
    assert!(matches!(delivered, Delivered::Created(_)));
    assert_eq!(sim.counters().count(Route::AddReceipt, 503), 2);
    assert!(
        sim.receipt("123456", &PaymentType::Ecom, "flaky-1")
            .is_some()
    );
}

#[tokio::test]
async fn the_client_fetches_a_new_token_after_revocation_and_classifies_bad_keys() {
    let sim = vipps_om_sim::spawn_default().await.expect("spawned");
    let client = sim.demo_client().expect("client");
    let order = OrderId::new("t-1").expect("id");
    let _ = client.orders().get(&PaymentType::Ecom, &order).await;
    sim.revoke_tokens();
    let after = client.orders().get(&PaymentType::Ecom, &order).await;
    assert!(matches!(after, Err(Error::NotFound { .. })), "{after:?}");
    assert_eq!(sim.counters().tokens_issued.get("123456"), Some(&2));

    let wrong_key = sim
        .client_builder(
            &vipps_om_sim::Merchant::new(
                "123456",
                "demo-client-id",
                "demo-client-secret",
                "wrong-key",
            )
            .expect("merchant"),
        )
        .build()
        .expect("client");
    let err = wrong_key.orders().get(&PaymentType::Ecom, &order).await;
    assert!(
        matches!(
            err,
            Err(Error::Unauthorized {
                cause: AuthFailure::SubscriptionKey,
                ..
            })
        ),
        "{err:?}"
    );
    let wrong_secret = sim
        .client_builder(
            &vipps_om_sim::Merchant::new(
                "123456",
                "demo-client-id",
                "wrong",
                "demo-subscription-key",
            )
            .expect("merchant"),
        )
        .build()
        .expect("client");
    let err = wrong_secret.orders().get(&PaymentType::Ecom, &order).await;
    assert!(
        matches!(
            err,
            Err(Error::Unauthorized {
                cause: AuthFailure::ClientCredentials,
                ..
            })
        ),
        "{err:?}"
    );
    sim.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let sim = vipps_om_sim::spawn_default().await.expect("spawned");
    let url = format!("{}/order-management/v2/ecom/x", sim.base_url());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    assert_eq!(http.get(&url).send().await.expect("up").status(), 401);
    sim.shutdown().await.expect("clean shutdown");
    assert!(
        http.get(&url).send().await.is_err(),
        "still serving after shutdown"
    );
}
