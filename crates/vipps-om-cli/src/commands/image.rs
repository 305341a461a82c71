//! `vipps-om image upload`: checked locally, then uploaded; re-running is
//! safe because the default id is derived from the content.

use serde_json::json;
use vipps_om::image::ImageFacts;
use vipps_om::validate::{MAX_IMAGE_BYTES, validate_image_bytes};
use vipps_om::{Delivered, Error, Image, ImageId};

use super::{Context, read_limited};
use crate::commands::receipt::warnings_text;
use crate::failure::Failure;

/// Uploads an image file.
pub(crate) async fn upload(
    ctx: &Context,
    file: &std::path::Path,
    id: Option<&str>,
) -> Result<(), Failure> {
    let bytes = read_limited(
        file,
        MAX_IMAGE_BYTES,
        &format!(
            "2 MB ({MAX_IMAGE_BYTES} bytes), the most the API accepts for an image: make it smaller"
        ),
    )?;
    let report = validate_image_bytes(&bytes, "file");
    if report.has_errors() {
        return Err(Failure::invalid(
            &format!("the image {}", file.display()),
            &report,
        ));
    }
    let image_id = match id {
        Some(id) => ImageId::new(id).map_err(|e| Failure::usage(e.to_string()))?,
        None => ImageId::from_content(&bytes),
    };
    let facts = ImageFacts::inspect(&bytes).ok();
    let size = facts
        .map(|f| format!("{}×{} px {}", f.width, f.height, f.format.mime()))
        .unwrap_or_default();
    let image = Image::from_bytes(image_id.clone(), &bytes);
    // Checked above (the same checks as the library's, whose warnings
    // would otherwise be said twice: once logged, once below).
    let status = match ctx
        .client()?
        .images()
        .without_validation()
        .upload(&image)
        .await
    {
        Ok(Delivered::Created(_)) => "uploaded",
        Ok(Delivered::AlreadyPresent) | Err(Error::ImageAlreadyExists { .. }) => "already_uploaded",
        Err(e) => return Err(e.into()),
    };
    ctx.emit(
        |style| {
            let headline = if status == "uploaded" {
                style.ok("✓ Image uploaded:")
            } else {
                style.ok("✓ Already uploaded:")
            };
            let mut out =
                format!("{headline} {image_id} ({size})\n  use it with --image-id {image_id}\n");
            out.push_str(&warnings_text(&report, style));
            out
        },
        || json!({"imageId": image_id, "status": status, "warnings": report.problems()}),
    );
    Ok(())
}
