//! `vipps-om image upload`: checked locally, then uploaded; re-running is
//! safe because the default id is derived from the content. `vipps-om
//! image check`: the same rules, one verdict each, nothing sent.

use serde_json::json;
use vipps_om::image::ImageFacts;
use vipps_om::validate::{MAX_IMAGE_BYTES, MIN_IMAGE_HEIGHT, validate_image_bytes};
use vipps_om::{Delivered, Error, Image, ImageId};

use super::{Context, MAX_INPUT_BYTES, MAX_INPUT_LABEL, read_limited};
use crate::commands::check::{Check, Verdict, render_checks};
use crate::commands::receipt::warnings_text;
use crate::failure::{ExitCode, Failure};

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

/// `image check FILE`: the API's image rules, one verdict each, with what
/// to do. The rules and the verdict on the whole file are the client
/// library's ([`validate_image_bytes`], [`ImageFacts`]); exit 2 when the
/// API would refuse the file (local validation), as `receipt validate`.
pub(crate) fn check(ctx: &Context, file: &std::path::Path) -> Result<(), Failure> {
    // Read beyond the API's 2 MB, so a file that is too large gets the
    // `size` verdict; a file beyond what this tool reads at all is refused.
    let bytes = read_limited(
        file,
        MAX_INPUT_BYTES,
        &format!(
            "{MAX_INPUT_LABEL}, far beyond the 2 MB ({MAX_IMAGE_BYTES} bytes) the API accepts for an image: check that this is the right file, or make the image smaller"
        ),
    )?;
    let report = validate_image_bytes(&bytes, "file");
    let facts = ImageFacts::inspect(&bytes);
    let mut checks = Vec::new();
    checks.push(match &facts {
        Ok(f) => Check::new(
            "format",
            Verdict::Pass,
            format!("{} (read from the content)", f.format.mime()),
        ),
        Err(kind) => Check::new(
            "format",
            Verdict::Fail,
            format!("the content is {kind}; the API takes PNG or JPEG: convert it to one of them"),
        ),
    });
    let size = bytes.len();
    checks.push(if size == 0 {
        Check::new("size", Verdict::Fail, "the file is empty; choose a PNG or JPEG file")
    } else if size > MAX_IMAGE_BYTES {
        Check::new(
            "size",
            Verdict::Fail,
            format!("{size} bytes; the API accepts at most 2 MB ({MAX_IMAGE_BYTES} bytes): make the file smaller (fewer pixels, or JPEG)"),
        )
    } else {
        Check::new(
            "size",
            Verdict::Pass,
            format!("{size} bytes (at most {MAX_IMAGE_BYTES})"),
        )
    });
    match &facts {
        Ok(f) => {
            checks.push(if f.height < MIN_IMAGE_HEIGHT {
                Check::new(
                    "height",
                    Verdict::Fail,
                    format!("{} px high; the API needs at least {MIN_IMAGE_HEIGHT} px: use a larger image", f.height),
                )
            } else {
                Check::new(
                    "height",
                    Verdict::Pass,
                    format!("{} px (at least {MIN_IMAGE_HEIGHT})", f.height),
                )
            });
            checks.push(if f.width == f.height {
                Check::new("square", Verdict::Pass, format!("{}×{} px", f.width, f.height))
            } else {
                let side = f.width.min(f.height);
                Check::new(
                    "square",
                    Verdict::Warn,
                    format!("{}×{} px; square images are recommended, others may be cropped in the app: crop it to {side}×{side} px", f.width, f.height),
                )
            });
        }
        Err(_) => {
            for name in ["height", "square"] {
                checks.push(Check::new(name, Verdict::Skip, "not a PNG or JPEG image"));
            }
        }
    }
    // The library's report decides; the list above explains it.
    let valid = !report.has_errors();
    let name = if file == std::path::Path::new("-") {
        "stdin".to_owned()
    } else {
        file.display().to_string()
    };
    ctx.emit(
        |style| {
            let mut out = format!("Image {}\n", crate::style::clean(&name));
            out.push_str(&render_checks(&checks, style));
            out
        },
        || {
            let facts = facts.as_ref().ok();
            json!({
                "file": name,
                "valid": valid,
                "bytes": size,
                "format": facts.map(|f| f.format.mime()),
                "width": facts.map(|f| f.width),
                "height": facts.map(|f| f.height),
                "checks": checks,
                "problems": report.problems(),
            })
        },
    );
    if valid {
        Ok(())
    } else {
        Err(Failure {
            code: ExitCode::Usage,
            kind: "validation",
            message: format!(
                "the API would refuse {name}; see the checks above, fix the image and check it again"
            ),
            problems: Vec::new(),
            status: None,
        })
    }
}
