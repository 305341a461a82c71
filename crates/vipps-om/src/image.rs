//! What an image file is, read from its bytes (never from its name): the
//! format and the pixel size, as the API checks them.

/// An image format the API accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
}

impl ImageFormat {
    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
        }
    }
}

/// Format and size of an image file.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageFacts {
    /// PNG or JPEG.
    pub format: ImageFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// File size in bytes.
    pub bytes: usize,
}

impl ImageFacts {
    /// Reads the header of `bytes`. `Err` names what the file is instead
    /// ("a GIF image", "not an image", "a damaged PNG image") when it is not
    /// a readable PNG or JPEG.
    pub fn inspect(bytes: &[u8]) -> Result<ImageFacts, String> {
        let format = match imagesize::image_type(bytes) {
            Ok(imagesize::ImageType::Png) => ImageFormat::Png,
            Ok(imagesize::ImageType::Jpeg) => ImageFormat::Jpeg,
            Ok(other) => return Err(format!("a {} image", format!("{other:?}").to_uppercase())),
            Err(_) => return Err("not an image".to_owned()),
        };
        let size = imagesize::blob_size(bytes).map_err(|_| {
            format!(
                "a damaged {} image",
                if format == ImageFormat::Png {
                    "PNG"
                } else {
                    "JPEG"
                }
            )
        })?;
        let px = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Ok(ImageFacts {
            format,
            width: px(size.width),
            height: px(size.height),
            bytes: bytes.len(),
        })
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Minimal but valid image headers for tests.

    /// A PNG signature and IHDR chunk for a `width`×`height` image (the
    /// header is all a size check reads).
    pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        v.extend_from_slice(&13u32.to_be_bytes());
        v.extend_from_slice(b"IHDR");
        v.extend_from_slice(&width.to_be_bytes());
        v.extend_from_slice(&height.to_be_bytes());
        v.extend_from_slice(&[8, 6, 0, 0, 0]);
        v.extend_from_slice(&[0, 0, 0, 0]);
        v
    }

    /// A JPEG SOI + SOF0 header for a `width`×`height` image.
    pub(crate) fn jpeg(width: u16, height: u16) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
        v.extend_from_slice(&height.to_be_bytes());
        v.extend_from_slice(&width.to_be_bytes());
        v.extend_from_slice(&[
            0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9,
        ]);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_png_and_jpeg_sizes_from_bytes() {
        let png = ImageFacts::inspect(&fixtures::png(300, 200)).unwrap();
        assert_eq!(
            (png.format, png.width, png.height),
            (ImageFormat::Png, 300, 200)
        );
        let jpg = ImageFacts::inspect(&fixtures::jpeg(640, 480)).unwrap();
        assert_eq!(
            (jpg.format, jpg.width, jpg.height),
            (ImageFormat::Jpeg, 640, 480)
        );
    }

    #[test]
    fn names_what_a_rejected_file_is() {
        assert_eq!(
            ImageFacts::inspect(&[b"GIF89a\x01\x00\x01\x00".as_slice(), &[0; 32]].concat())
                .unwrap_err(),
            "a GIF image"
        );
        assert_eq!(
            ImageFacts::inspect(b"hello world").unwrap_err(),
            "not an image"
        );
    }
}
