//! The image rules of the spec (`Image.src`): "The image data as a base64
//! encoded string (not a URL). The image must be in PNG or JPEG format.
//! Square images are recommended. Minimum height is 167px, and max file
//! size is 2MB." The format and size are read from the bytes (the
//! `imagesize` crate), never from a name.
//!
//! "2MB" is ambiguous: files over 2 MiB ([`MAX_IMAGE_BYTES`]) are refused;
//! from [`DECIMAL_IMAGE_BYTES`] to 2 MiB default mode accepts with a
//! warning and strict mode refuses ([`Rule::ImageDecimalMegabytes`]).

use base64::Engine as _;
use vipps_om::image::ImageFormat;

use super::{Findings, Rule};

/// Largest image file taken, in bytes: "2MB" read as 2 MiB (2,097,152).
pub(crate) const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;
/// "2MB" read as 2,000,000 bytes: larger files get a warning (refused in
/// strict mode).
pub(crate) const DECIMAL_IMAGE_BYTES: usize = 2_000_000;
/// Smallest image height, in pixels.
pub(crate) const MIN_IMAGE_HEIGHT: usize = 167;

/// What is kept of an uploaded image: its facts, not its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageInfo {
    pub(crate) format: ImageFormat,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) bytes: usize,
}

/// Checks `src` (already known to be a string); the facts when the image
/// is taken.
pub(crate) fn check_src(src: &str, findings: &mut Findings) -> Option<ImageInfo> {
    // Like .NET's Convert.FromBase64String: whitespace is ignored, padding
    // is required.
    let compact: String = src.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) else {
        findings.refuse(
            "src",
            "The field src must be a base64-encoded image (the file's bytes, not a URL).",
        );
        return None;
    };
    if bytes.len() > MAX_IMAGE_BYTES {
        findings.refuse(
            "src",
            format!(
                "The image must be at most 2MB; this file is {} bytes (the limit read as {MAX_IMAGE_BYTES} bytes).",
                bytes.len()
            ),
        );
        return None;
    }
    if bytes.len() > DECIMAL_IMAGE_BYTES {
        findings.doubt(
            Rule::ImageDecimalMegabytes,
            "src",
            format!(
                "The image must be at most 2MB; this file is {} bytes, more than 2MB read as {DECIMAL_IMAGE_BYTES} bytes.",
                bytes.len()
            ),
        );
    }
    let format = match imagesize::image_type(&bytes) {
        Ok(imagesize::ImageType::Png) => ImageFormat::Png,
        Ok(imagesize::ImageType::Jpeg) => ImageFormat::Jpeg,
        Ok(other) => {
            let kind = format!("{other:?}").to_uppercase();
            findings.refuse(
                "src",
                format!("The image must be in PNG or JPEG format; this file is a {kind} image."),
            );
            return None;
        }
        Err(_) => {
            findings.refuse(
                "src",
                "The image must be in PNG or JPEG format; this data is not an image.",
            );
            return None;
        }
    };
    let Ok(size) = imagesize::blob_size(&bytes) else {
        findings.refuse(
            "src",
            "The image must be in PNG or JPEG format; this file is damaged (its size cannot be read).",
        );
        return None;
    };
    if size.height < MIN_IMAGE_HEIGHT {
        findings.refuse(
            "src",
            format!(
                "Minimum height is {MIN_IMAGE_HEIGHT}px; this image is {}×{} px.",
                size.width, size.height
            ),
        );
        return None;
    }
    let px = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    Some(ImageInfo {
        format,
        width: px(size.width),
        height: px(size.height),
        bytes: bytes.len(),
    })
}
