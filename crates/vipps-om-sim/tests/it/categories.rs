//! Categories: v2 replaces, v3 appends, both share one list per order.

use serde_json::json;

use crate::support::{Api, category, category_v3, receipt};

const V2: &str = "/order-management/v2/ecom/categories/order-1";
const V3: &str = "/order-management/v3/categories";

#[tokio::test]
async fn v2_put_answers_a_json_string_uuid_and_replaces_the_previous_category() {
    let api = Api::start().await;
    let first = api.put_json(V2, &category("GENERAL")).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.content_type(), Some("application/json"));
    let first_id = first.body.as_str().unwrap_or_default().to_owned();
    assert!(uuid::Uuid::parse_str(&first_id).is_ok(), "{}", first.text);

    let second = api.put_json(V2, &category("TICKET")).await;
    assert_eq!(second.status, 200, "a v2 PUT never conflicts");
    let second_id = second.body.as_str().unwrap_or_default().to_owned();

    let got = api.get("/order-management/v2/ecom/order-1").await;
    assert_eq!(
        got.body,
        json!({"category": {"category": "TICKET", "orderDetailsUrl": "https://shop.example/orders/1"}})
    );
    // The v2 id is the v3 categoryId; the replaced one is gone.
    let listed = api.get(&format!("{V3}?orderId=order-1")).await;
    let ids: Vec<&str> = listed.body["categories"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["categoryId"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, vec![second_id.as_str()]);
    assert_eq!(api.get(&format!("{V3}/{first_id}")).await.status, 404);
}

#[tokio::test]
async fn v3_post_appends_and_get_v2_shows_the_latest_of_either_api() {
    let api = Api::start().await;
    assert_eq!(api.put_json(V2, &category("GENERAL")).await.status, 200);
    let added = api.post_json(V3, &category_v3("order-1", "DELIVERY")).await;
    assert_eq!(added.status, 201, "{}", added.text);
    let id = added.body["categoryId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok());

    let latest = api.get("/order-management/v2/ECOM/order-1").await;
    assert_eq!(latest.body["category"]["category"], "DELIVERY");
    assert_eq!(
        latest.body["category"]["orderDetailsUrl"],
        "https://shop.example/o"
    );

    let one = api.get(&format!("{V3}/{id}")).await;
    assert_eq!(
        one.body,
        json!({"categoryId": id, "orderId": "order-1", "paymentType": "ECOM",
               "type": "DELIVERY", "url": "https://shop.example/o"})
    );
    let listed = api.get(&format!("{V3}?orderId=order-1")).await;
    let types: Vec<&str> = listed.body["categories"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["type"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(types, vec!["GENERAL", "DELIVERY"], "oldest first");

    // Deleting the latest shows the one before it again.
    let deleted = api.delete(&format!("{V3}/{id}")).await;
    assert_eq!(deleted.status, 200);
    assert!(deleted.text.is_empty());
    assert_eq!(deleted.content_type(), None);
    let back = api.get("/order-management/v2/ecom/order-1").await;
    assert_eq!(back.body["category"]["category"], "GENERAL");
    assert_eq!(api.delete(&format!("{V3}/{id}")).await.status, 404);
}

#[tokio::test]
async fn v2_put_replaces_categories_added_with_v3_too() {
    let api = Api::start().await;
    for kind in ["RECEIPT", "BOOKING"] {
        assert_eq!(
            api.post_json(V3, &category_v3("order-1", kind))
                .await
                .status,
            201
        );
    }
    assert_eq!(api.put_json(V2, &category("TICKET")).await.status, 200);
    let listed = api.get(&format!("{V3}?orderId=order-1")).await;
    assert_eq!(listed.body["categories"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn listing_covers_both_payment_types_and_is_empty_for_unknown_orders() {
    let api = Api::start().await;
    let mut recurring = category_v3("shared-1", "GENERAL");
    recurring["paymentType"] = json!("RECURRING");
    assert_eq!(api.post_json(V3, &recurring).await.status, 201);
    assert_eq!(
        api.put_json(
            "/order-management/v2/ecom/categories/shared-1",
            &category("RECEIPT")
        )
        .await
        .status,
        200
    );
    let listed = api.get(&format!("{V3}?orderId=shared-1")).await;
    let types: Vec<&str> = listed.body["categories"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["paymentType"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(types, vec!["RECURRING", "ECOM"]);
    let none = api.get(&format!("{V3}?orderId=nothing-here")).await;
    assert_eq!(none.status, 200);
    assert_eq!(none.body, json!({"categories": []}));
}

#[tokio::test]
async fn a_category_may_only_reference_an_image_this_merchant_uploaded() {
    let api = Api::start().await;
    let mut body = category("GENERAL");
    body["imageId"] = json!("logo-1");
    let resp = api.put_json(V2, &body).await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.invalid_params(), vec!["imageId"]);
    assert!(
        resp.reason("imageId")
            .contains("upload it first with POST /v1/images")
    );
    let mut v3 = category_v3("order-1", "GENERAL");
    v3["imageId"] = json!("logo-1");
    assert_eq!(
        api.post_json(V3, &v3).await.invalid_params(),
        vec!["imageId"]
    );

    assert_eq!(api.upload_png("logo-1").await.status, 200);
    assert_eq!(api.put_json(V2, &body).await.status, 200);
    assert_eq!(api.post_json(V3, &v3).await.status, 201);
    let got = api.get("/order-management/v2/ecom/order-1").await;
    assert_eq!(got.body["category"]["imageId"], "logo-1");
    // A v2 imageId of null means no image.
    body["imageId"] = serde_json::Value::Null;
    assert_eq!(api.put_json(V2, &body).await.status, 200);
}

#[tokio::test]
async fn get_v2_shows_category_and_receipt_together() {
    let api = Api::start().await;
    assert_eq!(api.put_json(V2, &category("RECEIPT")).await.status, 200);
    assert_eq!(
        api.post_json("/order-management/v2/ecom/receipts/order-1", &receipt())
            .await
            .status,
        201
    );
    let got = api.get("/order-management/v2/ecom/order-1").await;
    assert_eq!(got.body["category"]["category"], "RECEIPT");
    assert_eq!(got.body["receipt"], receipt());
    // Deleting the only category leaves the receipt.
    let id = api.sim.orders()[0].categories[0].category_id;
    assert_eq!(api.delete(&format!("{V3}/{id}")).await.status, 200);
    let got = api.get("/order-management/v2/ecom/order-1").await;
    assert!(got.body.get("category").is_none(), "{}", got.text);
    assert!(got.body.get("receipt").is_some());
}

#[tokio::test]
async fn an_unknown_category_id_is_404() {
    let api = Api::start().await;
    let id = uuid::Uuid::new_v4();
    assert_eq!(api.get(&format!("{V3}/{id}")).await.status, 404);
    assert_eq!(api.delete(&format!("{V3}/{id}")).await.status, 404);
}
