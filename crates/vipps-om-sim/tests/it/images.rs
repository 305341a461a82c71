//! Image uploads: decoded and inspected, once per id and merchant.

use serde_json::json;

use crate::support::{Api, image_body, jpeg, png};

const IMAGES: &str = "/order-management/v1/images";

#[tokio::test]
async fn png_and_jpeg_images_are_accepted_and_echo_their_id() {
    let api = Api::start().await;
    let resp = api
        .post_json(IMAGES, &image_body("logo-1", &png(400, 400)))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.content_type(), Some("application/json"));
    assert_eq!(resp.body, json!({"imageId": "logo-1"}));
    // Non-square and exactly 167 px high is allowed (square is advice).
    let resp = api
        .post_json(IMAGES, &image_body("photo-1", &jpeg(300, 167)))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let stored: Vec<(String, &str, u32, u32)> = api
        .sim
        .images()
        .into_iter()
        .map(|i| (i.image_id, i.format, i.width, i.height))
        .collect();
    assert_eq!(
        stored,
        vec![
            ("logo-1".to_owned(), "PNG", 400, 400),
            ("photo-1".to_owned(), "JPEG", 300, 167)
        ]
    );
}

#[tokio::test]
async fn a_second_upload_with_the_same_id_is_a_conflict() {
    let api = Api::start().await;
    assert_eq!(api.upload_png("logo").await.status, 200);
    let again = api
        .post_json(IMAGES, &image_body("logo", &png(500, 500)))
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.body["title"], "Conflict");
    assert!(
        again.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot be overwritten")
    );
    assert_eq!(api.sim.images().len(), 1);
}

#[tokio::test]
async fn images_are_inspected_not_trusted() {
    let api = Api::start().await;
    let gif = [b"GIF89a\x01\x00\x01\x00".as_slice(), &[0; 32]].concat();
    let too_big = {
        let mut bytes = png(200, 200);
        bytes.resize(2 * 1024 * 1024 + 1, 0);
        bytes
    };
    for (what, bytes) in [
        ("too low", png(400, 166)),
        ("a GIF", gif),
        ("not an image", b"hello world".to_vec()),
        ("over 2 MiB", too_big),
    ] {
        let resp = api.post_json(IMAGES, &image_body("img", &bytes)).await;
        assert_eq!(resp.status, 400, "{what}");
        assert_eq!(resp.invalid_params(), vec!["src"], "{what}");
    }
    let resp = api
        .post_json(
            IMAGES,
            &json!({"imageId": "img", "src": "not base64!", "type": "base64"}),
        )
        .await;
    assert_eq!(resp.invalid_params(), vec!["src"]);
    assert!(resp.reason("src").contains("base64"));
    assert!(api.sim.images().is_empty());
}

#[tokio::test]
async fn image_ids_type_and_missing_fields_are_named() {
    let api = Api::start().await;
    let mut body = image_body(&"x".repeat(129), &png(200, 200));
    body["type"] = json!("url");
    let resp = api.post_json(IMAGES, &body).await;
    assert_eq!(resp.invalid_params(), vec!["imageId", "type"]);
    let resp = api.post_json(IMAGES, &json!({"imageId": "a/b"})).await;
    assert_eq!(resp.invalid_params(), vec!["imageId", "src", "type"]);
}
