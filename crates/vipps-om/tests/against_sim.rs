//! End to end: the client against the simulator, over real HTTP. The
//! wiremock tests pin the client's reactions to exact answers; these check
//! that client and simulator agree on the whole flow.

use std::time::Duration;

use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{
    AddCategoryRequest, Amount, Category, CategoryType, Currency, Delivered, Error, ErrorKind,
    Image, OrderId, PaymentType, Receipt, TaxRate,
};
use vipps_om_sim::{Fault, Route};

fn receipt() -> Receipt {
    ReceiptBuilder::new(Currency::Nok)
        .line(
            LineBuilder::new("sku-1", "Socks")
                .unit_price(Amount::minor(14_900))
                .quantity("2")
                .tax_rate(TaxRate::from_percent(25)),
        )
        .shipping(
            "Home delivery",
            Amount::minor(9_900),
            TaxRate::from_percent(25),
        )
        .receipt_number("10042")
        .build()
        .unwrap()
}

fn png(size: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&13u32.to_be_bytes());
    v.extend_from_slice(b"IHDR");
    v.extend_from_slice(&size.to_be_bytes());
    v.extend_from_slice(&size.to_be_bytes());
    v.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    v
}

#[tokio::test]
async fn the_whole_flow_round_trips() {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let order = OrderId::new("flow-1").unwrap();

    let image = Image::from_bytes_with_content_id(&png(300));
    assert!(client.images().upload(&image).await.unwrap().is_created());
    let again = client.images().upload(&image).await.unwrap_err();
    assert!(
        matches!(again, Error::ImageAlreadyExists { .. }),
        "{again:?}"
    );

    let category = Category::new(CategoryType::Receipt, "https://shop.example/orders/flow-1")
        .with_image_id(image.image_id.clone());
    client
        .categories()
        .set(&PaymentType::Ecom, &order, &category)
        .await
        .unwrap();
    let sent = receipt();
    assert!(
        client
            .receipts()
            .add(&PaymentType::Ecom, &order, &sent)
            .await
            .unwrap()
            .is_created()
    );

    let shown = client
        .orders()
        .get(&PaymentType::Ecom, &order)
        .await
        .unwrap();
    assert_eq!(shown.category, Some(category));
    assert_eq!(shown.receipt, Some(sent.clone()));

    let second = client
        .receipts()
        .add(&PaymentType::Ecom, &order, &sent)
        .await
        .unwrap_err();
    assert!(
        matches!(second, Error::ReceiptAlreadyExists { .. }),
        "{second:?}"
    );
    let missing = client
        .orders()
        .get(&PaymentType::Recurring, &order)
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::NotFound { .. }), "{missing:?}");
    assert_eq!(
        missing.kind(),
        ErrorKind::OrderNotFound {
            order_id: "flow-1".into(),
            payment_type: "RECURRING".into()
        }
    );
    assert_eq!(
        second.kind(),
        ErrorKind::ReceiptAlreadyExists {
            order_id: "flow-1".into(),
            payment_type: "ECOM".into()
        }
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_category_naming_an_image_never_uploaded_says_which_image() {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let order = OrderId::new("no-image-1").unwrap();
    let category = Category::new(CategoryType::Receipt, "https://shop.example/orders/1")
        .with_image_id(vipps_om::ImageId::new("nope").unwrap());
    let error = client
        .categories()
        .set(&PaymentType::Ecom, &order, &category)
        .await
        .unwrap_err();
    assert_eq!(
        error.kind(),
        ErrorKind::ImageNotUploaded {
            image_id: "nope".into()
        }
    );
    assert_eq!(error.status(), Some(400));
    // The neutral sentence names the id and says what to do, for any tool.
    assert_eq!(
        error.to_string(),
        "there is no image with id nope for this merchant; upload the image under that id first, then send the category again"
    );
    let v3 = AddCategoryRequest::new(
        order.clone(),
        PaymentType::Ecom,
        CategoryType::General,
        "https://shop.example/orders/1",
    )
    .with_image_id(vipps_om::ImageId::new("nope").unwrap());
    let error = client.categories().add(&v3).await.unwrap_err();
    assert!(
        matches!(error, Error::ImageNotUploaded { ref image_id, .. } if image_id == "nope"),
        "{error:?}"
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn v3_categories_round_trip() {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let order = OrderId::new("v3-1").unwrap();
    let request = AddCategoryRequest::new(
        order.clone(),
        PaymentType::Ecom,
        CategoryType::Ticket,
        "https://shop.example/tickets/1",
    );
    let id = client.categories().add(&request).await.unwrap();
    let listed = client.categories().list(&order).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(client.categories().get(&id).await.unwrap(), listed[0]);
    client.categories().delete(&id).await.unwrap();
    assert!(matches!(
        client.categories().get(&id).await.unwrap_err(),
        Error::NotFound { .. }
    ));
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn concurrent_calls_share_one_token_and_survive_revocation() {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let order = OrderId::new("tok-1").unwrap();
    let calls: Vec<_> = (0..200)
        .map(|_| {
            let client = client.clone();
            let order = order.clone();
            tokio::spawn(async move { client.orders().get(&PaymentType::Ecom, &order).await })
        })
        .collect();
    for call in calls {
        assert!(matches!(call.await.unwrap(), Err(Error::NotFound { .. })));
    }
    let msn = sim
        .state()
        .demo_merchant()
        .merchant_serial_number()
        .to_string();
    assert_eq!(
        sim.state().counters().token_requests.get(&msn).copied(),
        Some(1)
    );

    sim.state().revoke_tokens();
    assert!(matches!(
        client.orders().get(&PaymentType::Ecom, &order).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        sim.state().counters().token_requests.get(&msn).copied(),
        Some(2)
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn injected_outages_are_ridden_out_by_retries() {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    sim.state()
        .inject_fault(Fault::status(Route::AddReceipt, 503).times(2))
        .unwrap();
    sim.state()
        .inject_fault(Fault::status(Route::GetOrder, 429).retry_after(1).times(1))
        .unwrap();
    let order = OrderId::new("outage-1").unwrap();
    let outcome = client
        .receipts()
        .add(&PaymentType::Ecom, &order, &receipt())
        .await
        .unwrap();
    assert!(
        matches!(outcome, Delivered::Created(Some(_))),
        "{outcome:?}"
    );
    let started = std::time::Instant::now();
    client
        .orders()
        .get(&PaymentType::Ecom, &order)
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(sim.state().counters().count(Route::AddReceipt, 503), 2);
    assert_eq!(sim.state().counters().count(Route::AddReceipt, 201), 1);
    sim.shutdown().await.unwrap();
}
