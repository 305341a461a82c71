//! The category image itself, as the app shows it: the bytes the shop
//! uploaded, read from the order's image job in the outbox (the request
//! each job stores). The Order Management API gives images back to no one
//! (it stores them for the app), so an image that was uploaded another
//! way is shown by its id only.
//!
//! The console serves the bytes at `/order/image` only after checking
//! that they are a PNG or a JPEG file (by their first bytes, whatever the
//! job says) and at most [`crate::limits::MAX_IMAGE_BYTES`], with that
//! type as `Content-Type`, `nosniff`, and `Cache-Control: private,
//! no-cache` with an `ETag`: the browser keeps the image but asks again
//! each time (answered `304` when unchanged), so a signed-out browser or a
//! replaced image never shows a stale one.

use vipps_om_outbox::{JobKind, JobRequest, JobState, OutboxError};

use crate::delivery::OrderKey;
use crate::limits::MAX_IMAGE_BYTES;

/// The first bytes of every PNG file.
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
/// The first bytes of every JPEG file (start of image, then a marker).
const JPEG_MAGIC: &[u8] = b"\xff\xd8\xff";

/// The media type of an image file by its first bytes: PNG or JPEG, else
/// none.
pub(crate) fn content_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(PNG_MAGIC) {
        Some("image/png")
    } else if bytes.starts_with(JPEG_MAGIC) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// What the outbox holds for an image id of an order.
#[derive(Debug)]
pub(crate) enum Found {
    /// The uploaded file (not yet checked).
    Bytes(Vec<u8>),
    /// A stored upload larger than an image may be.
    TooLarge,
    /// None of the order's image jobs uploads it.
    Missing,
}

/// The file the order's image jobs upload under `image_id`: the newest
/// delivered one, else the newest other.
pub(crate) async fn find(
    outbox: &vipps_om_outbox::Outbox,
    key: &OrderKey<'_>,
    image_id: &str,
) -> Result<Found, OutboxError> {
    let mut jobs: Vec<_> = key
        .jobs(outbox)
        .await?
        .into_iter()
        .filter(|j| j.kind == JobKind::Image)
        .collect();
    // Delivered first, each group newest first.
    jobs.sort_by_key(|j| {
        (
            j.state != JobState::Delivered,
            std::cmp::Reverse(j.id.get()),
        )
    });
    // Base64 of the largest image, with room for padding and line breaks.
    let max_encoded = MAX_IMAGE_BYTES
        .div_ceil(3)
        .saturating_mul(4)
        .saturating_add(64);
    for job in jobs {
        let request = match outbox.job_request(job.id).await {
            Ok(request) => request,
            Err(OutboxError::UnreadableRequest { .. }) => continue,
            Err(e) => return Err(e),
        };
        let JobRequest::Image(image) = request else {
            continue;
        };
        if image.image_id.as_str() != image_id {
            continue;
        }
        if image.src.len() > max_encoded {
            return Ok(Found::TooLarge);
        }
        match image.decode() {
            Ok(bytes) if bytes.len() > MAX_IMAGE_BYTES => return Ok(Found::TooLarge),
            Ok(bytes) => return Ok(Found::Bytes(bytes)),
            // Not base64: the API refuses it too; look at older uploads.
            Err(_) => continue,
        }
    }
    Ok(Found::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_png_and_jpeg_files_have_a_type() {
        assert_eq!(
            content_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some("image/png")
        );
        assert_eq!(
            content_type(b"\xff\xd8\xff\xe0\0\x10JFIF"),
            Some("image/jpeg")
        );
        assert_eq!(content_type(b"GIF89a"), None);
        assert_eq!(content_type(b"<svg xmlns="), None);
        assert_eq!(content_type(b"\x89PNG"), None, "a cut header");
        assert_eq!(content_type(b""), None);
    }
}
