//! `vipps-om image upload`: checked locally, content-derived id, safe to
//! run again.

use vipps_om_sim::Route;

use crate::support::{Env, keys, png, stderr, stdout, stdout_json};

#[tokio::test(flavor = "multi_thread")]
async fn image_upload_twice_is_uploaded_then_already_uploaded_under_the_same_id() {
    let env = Env::start().await;
    let file = env.write("logo.png", png(300, 200));

    let assert = env
        .cmd()
        .args(["image", "upload"])
        .arg(&file)
        .run()
        .await
        .success();
    let first = stdout(&assert);
    assert!(first.starts_with("✓ Image uploaded: img-"), "{first}");
    assert!(first.contains("(300×200 px image/png)"), "{first}");
    let id = first
        .trim_start_matches("✓ Image uploaded: ")
        .split(' ')
        .next()
        .expect("id")
        .to_owned();
    assert!(first.contains(&format!("use it with --image-id {id}\n")));

    let assert = env
        .cmd()
        .args(["image", "upload"])
        .arg(&file)
        .run()
        .await
        .success();
    let second = stdout(&assert);
    assert!(
        second.starts_with(&format!("✓ Already uploaded: {id} ")),
        "{second}"
    );

    let images = env.sim.images();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].image_id, id);
    assert_eq!((images[0].width, images[0].height), (300, 200));
    let counters = env.sim.counters();
    assert_eq!(counters.count(Route::UploadImage, 200), 1);
    assert_eq!(counters.count(Route::UploadImage, 409), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn image_upload_json_with_an_explicit_id() {
    let env = Env::start().await;
    let file = env.write("logo.png", png(256, 256));
    for expected in ["uploaded", "already_uploaded"] {
        let assert = env
            .cmd()
            .args(["image", "upload", "--id", "shop-logo", "--json"])
            .arg(&file)
            .run()
            .await
            .success();
        let doc = stdout_json(&assert);
        assert_eq!(keys(&doc), ["imageId", "status", "warnings"]);
        assert_eq!(doc["imageId"], "shop-logo");
        assert_eq!(doc["status"], expected);
    }
    assert_eq!(env.sim.images()[0].image_id, "shop-logo");
}

#[tokio::test(flavor = "multi_thread")]
async fn image_upload_of_a_file_that_is_not_an_image_exits_2_and_uploads_nothing() {
    let env = Env::start().await;
    let file = env.write("notes.txt", "these are not pixels\n");
    let assert = env
        .cmd()
        .args(["image", "upload"])
        .arg(&file)
        .run()
        .await
        .code(2);
    let err = stderr(&assert);
    assert!(err.contains("the image"), "{err}");
    assert!(err.contains("notes.txt"), "{err}");
    assert!(err.contains("not a PNG or JPEG"), "{err}");
    assert_eq!(env.sim.counters().total(Route::UploadImage), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn image_upload_of_a_too_small_image_exits_2_naming_the_minimum_height() {
    let env = Env::start().await;
    let file = env.write("banner.png", png(400, 166));
    let assert = env
        .cmd()
        .args(["image", "upload"])
        .arg(&file)
        .run()
        .await
        .code(2);
    let err = stderr(&assert);
    assert!(err.contains("400×166 px"), "{err}");
    assert!(err.contains("at least 167 px high"), "{err}");
    assert!(env.sim.images().is_empty());
    assert_eq!(env.sim.counters().total(Route::UploadImage), 0);
}
