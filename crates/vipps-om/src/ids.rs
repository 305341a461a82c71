//! Identifier newtypes: [`OrderId`], [`ImageId`], [`CategoryId`] and the
//! [`MerchantSerialNumber`]. Each is checked when it is made, so a value of
//! these types is always one the API accepts in a path or a body.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// Why a string is not a valid identifier. The message names the kind of id
/// and says what to do, so it can be shown to merchant staff as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct IdError {
    kind: &'static str,
    message: String,
}

impl IdError {
    fn new(kind: &'static str, message: String) -> Self {
        Self { kind, message }
    }

    /// Which kind of identifier was rejected (`orderId`, `imageId`, ...).
    pub fn kind(&self) -> &'static str {
        self.kind
    }
}

/// Longest order id we accept. The spec sets no limit for `orderId`; the
/// payment APIs cap theirs at 50 and image ids at 128, so 128 never rejects
/// an id that a payment could have and still catches runaway input.
pub const ORDER_ID_MAX_LEN: usize = 128;
/// Longest image id, from the spec (`maxLength: 128`).
pub const IMAGE_ID_MAX_LEN: usize = 128;

/// The spec's pattern `^[0-9A-Za-z-_\.]+$`: ASCII letters, digits, `-`, `_`, `.`.
pub(crate) fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn check_id(kind: &'static str, value: &str, max_len: usize) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::new(
            kind,
            format!("{kind} is empty; give the id of the order or image"),
        ));
    }
    if value.len() > max_len {
        return Err(IdError::new(
            kind,
            format!(
                "{kind} is {} characters long; use at most {max_len}",
                value.len()
            ),
        ));
    }
    if let Some(bad) = value.chars().find(|c| !is_id_char(*c)) {
        return Err(IdError::new(
            kind,
            format!(
                "{kind} contains {bad:?}; use only letters A-Z and a-z, digits, '-', '_' and '.'"
            ),
        ));
    }
    Ok(())
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Checks `value` against the spec's pattern and length.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                check_id($kind, &value, $max)?;
                Ok(Self(value))
            }

            /// The id as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_id!(
    /// The merchant's id of a payment: the eCom/Recurring `orderId`, the
    /// ePayment `reference`, or a Recurring `chargeId`. Case-sensitive and
    /// unique per Merchant-Serial-Number, not globally.
    OrderId,
    "orderId",
    ORDER_ID_MAX_LEN
);

string_id!(
    /// The merchant-chosen id of an uploaded image (1–128 characters). Images
    /// cannot be overwritten, so a new picture needs a new id.
    ImageId,
    "imageId",
    IMAGE_ID_MAX_LEN
);

impl ImageId {
    /// An id derived from the image bytes (`img-` + hex SHA-256), so
    /// uploading the same picture twice uses the same id and is answered
    /// "already uploaded" instead of storing a copy. A cryptographic digest
    /// because image ids live forever and must never collide.
    pub fn from_content(bytes: &[u8]) -> Self {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Self(format!("img-{hex}"))
    }
}

/// The id of a v3 category: a UUID chosen by the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CategoryId(uuid::Uuid);

impl CategoryId {
    /// Wraps a UUID.
    pub fn from_uuid(id: uuid::Uuid) -> Self {
        Self(id)
    }

    /// The UUID inside.
    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl fmt::Display for CategoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for CategoryId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s).map(Self).map_err(|_| {
            IdError::new(
                "categoryId",
                format!("categoryId {s:?} is not a UUID; copy the id the API returned when the category was added"),
            )
        })
    }
}

/// The Merchant-Serial-Number (MSN) of a sales unit: digits only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct MerchantSerialNumber(String);

impl MerchantSerialNumber {
    /// Checks that `value` is 1–20 ASCII digits (MSNs are numbers the
    /// portal shows, e.g. `123456`; sending anything else is rejected by the
    /// gateway with a confusing 500 in other Vipps APIs).
    pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
        let value = value.into();
        let trimmed = value.trim();
        if trimmed.is_empty() || trimmed.len() > 20 || !trimmed.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(IdError::new(
                "Merchant-Serial-Number",
                format!(
                    "Merchant-Serial-Number {value:?} is not a number; copy the MSN of the sales unit from portal.vipps.no (digits only, e.g. 123456)"
                ),
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The MSN as sent in the header.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MerchantSerialNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for MerchantSerialNumber {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl<'de> Deserialize<'de> for MerchantSerialNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_id_accepts_the_spec_alphabet() {
        assert!(OrderId::new("PaymentReference123").is_ok());
        assert!(OrderId::new("acme-shop_123.4").is_ok());
    }

    #[test]
    fn order_id_rejects_empty_long_and_foreign_characters() {
        assert!(OrderId::new("").is_err());
        assert!(OrderId::new("a".repeat(ORDER_ID_MAX_LEN + 1)).is_err());
        let err = OrderId::new("order 12").unwrap_err();
        assert!(err.to_string().contains("' '"), "{err}");
        assert!(OrderId::new("ordre-æ").is_err());
        assert!(OrderId::new("a/b").is_err());
    }

    #[test]
    fn image_id_length_limit_is_128() {
        assert!(ImageId::new("x".repeat(128)).is_ok());
        assert!(ImageId::new("x".repeat(129)).is_err());
    }

    #[test]
    fn ids_are_validated_when_deserialized() {
        assert!(serde_json::from_str::<ImageId>("\"ok-id\"").is_ok());
        let err = serde_json::from_str::<ImageId>("\"not ok\"").unwrap_err();
        assert!(err.to_string().contains("imageId"), "{err}");
    }

    #[test]
    fn content_ids_are_stable_and_valid() {
        let a = ImageId::from_content(b"png bytes");
        assert_eq!(a, ImageId::from_content(b"png bytes"));
        assert_ne!(a, ImageId::from_content(b"other bytes"));
        assert!(ImageId::new(a.as_str()).is_ok());
    }

    #[test]
    fn msn_must_be_digits() {
        assert_eq!(
            MerchantSerialNumber::new("123456").unwrap().as_str(),
            "123456"
        );
        assert!(MerchantSerialNumber::new("12a").is_err());
        assert!(MerchantSerialNumber::new("").is_err());
    }

    #[test]
    fn category_id_parses_uuid_and_explains_failure() {
        assert!(
            "337f5e5d-288b-40d5-be14-901cc3acacc0"
                .parse::<CategoryId>()
                .is_ok()
        );
        let err = "nope".parse::<CategoryId>().unwrap_err();
        assert!(err.to_string().contains("not a UUID"));
    }
}
