//! The API's enumerations. Every enum is *open*: a value the API sends that
//! this version does not know yet is kept as `Unknown(String)` instead of
//! failing the whole response, and local validation refuses to *send* an
//! unknown value.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    (
        $(#[$doc:meta])*
        $name:ident, field = $field:literal, case_insensitive = $ci:literal {
            $( $(#[$vdoc:meta])* $variant:ident => $wire:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )+
            /// A value this version of the library does not know.
            Unknown(String),
        }

        impl $name {
            /// Every value this library knows, in the spec's order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The value as spelled on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Unknown(s) => s,
                }
            }

            /// Whether this is a value the API documents.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }

            /// The documented values, for messages: `"A", "B" or "C"`.
            pub fn expected() -> String {
                let all: Vec<String> = Self::KNOWN.iter().map(|v| format!("\"{}\"", v.as_str())).collect();
                match all.split_last() {
                    Some((last, rest)) if !rest.is_empty() => format!("{} or {}", rest.join(", "), last),
                    _ => all.join(""),
                }
            }

            /// The wire name of the JSON field this enum lives in, for messages.
            pub const FIELD: &'static str = $field;

            fn parse_wire(s: &str) -> Self {
                $(
                    if equal(s, $wire, $ci) $(|| equal(s, $alias, $ci))* {
                        return $name::$variant;
                    }
                )+
                $name::Unknown(s.to_owned())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match Self::parse_wire(s.trim()) {
                    $name::Unknown(v) => Err(UnknownValue {
                        field: $field,
                        value: v,
                        expected: Self::expected(),
                    }),
                    known => Ok(known),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok(Self::parse_wire(&s))
            }
        }
    };
}

fn equal(a: &str, b: &str, case_insensitive: bool) -> bool {
    if case_insensitive {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// A string that is not one of an enum's documented values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {value:?} is not known; use {expected}")]
pub struct UnknownValue {
    /// The field the value was given for.
    pub field: &'static str,
    /// The value given.
    pub value: String,
    /// The documented values.
    pub expected: String,
}

open_enum!(
    /// Which payment API created the payment. eCom and ePayment payments
    /// are both `ECOM`; Recurring charges are `RECURRING`. Parsing is
    /// case-insensitive and accepts `ePayment` as an alias of `ECOM`.
    PaymentType, field = "paymentType", case_insensitive = true {
        /// eCom API and ePayment API payments.
        Ecom => "ECOM" | "epayment",
        /// Recurring API charges.
        Recurring => "RECURRING",
    }
);

impl PaymentType {
    /// The spelling used in v2 URL paths. Official plugins in production
    /// (WooCommerce, Magento) send lowercase `ecom`/`recurring`; the spec
    /// lists uppercase since 2024. We send the lowercase form, which is
    /// proven against production; the simulator accepts any casing.
    pub fn path_segment(&self) -> Option<&'static str> {
        match self {
            PaymentType::Ecom => Some("ecom"),
            PaymentType::Recurring => Some("recurring"),
            PaymentType::Unknown(_) => None,
        }
    }
}

open_enum!(
    /// What the category button on the payment means in the app. The
    /// category decides the button's label and icon and how the link opens.
    CategoryType, field = "category", case_insensitive = false {
        /// Anything that fits no other category.
        General => "GENERAL",
        /// A link to a valid proof of purchase.
        Receipt => "RECEIPT",
        /// Order information and status.
        OrderConfirmation => "ORDER_CONFIRMATION",
        /// Shipping or delivery status.
        Delivery => "DELIVERY",
        /// A ticket for an event or trip.
        Ticket => "TICKET",
        /// Booking information (travel, rental).
        Booking => "BOOKING",
    }
);

impl CategoryType {
    /// The button label shown in the app for this category, in English
    /// (our wording, after the guide's description of each category).
    pub fn button_label(&self) -> &str {
        match self {
            CategoryType::General => "Order details",
            CategoryType::Receipt => "Receipt",
            CategoryType::OrderConfirmation => "Order confirmation",
            CategoryType::Delivery => "Track delivery",
            CategoryType::Ticket => "Ticket",
            CategoryType::Booking => "Booking",
            CategoryType::Unknown(s) => s,
        }
    }
}

open_enum!(
    /// The receipt's currency.
    Currency, field = "currency", case_insensitive = false {
        /// Norwegian krone.
        Nok => "NOK",
        /// Danish krone.
        Dkk => "DKK",
        /// Euro.
        Eur => "EUR",
    }
);

open_enum!(
    /// The unit a quantity is counted in; `PCS` when not given.
    QuantityUnit, field = "quantityUnit", case_insensitive = false {
        /// Pieces.
        Pcs => "PCS",
        /// Kilograms.
        Kg => "KG",
        /// Kilometres.
        Km => "KM",
        /// Minutes.
        Minute => "MINUTE",
        /// Litres.
        Litre => "LITRE",
        /// Kilowatt hours.
        Kwh => "KWH",
    }
);

open_enum!(
    /// How a barcode on the receipt is encoded.
    BarcodeFormat, field = "format", case_insensitive = false {
        /// EAN-13 (13 digits, the last a check digit).
        Ean13 => "EAN-13",
        /// Code 39.
        Code39 => "CODE 39",
        /// Code 128.
        Code128 => "CODE 128",
    }
);

open_enum!(
    /// How an uploaded image is encoded; the API knows only `base64`.
    ImageEncoding, field = "type", case_insensitive = false {
        /// The `src` is the base64 of the image file.
        Base64 => "base64",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_type_accepts_every_casing_and_epayment() {
        for s in ["ecom", "eCom", "ECOM", "ePayment", "EPAYMENT"] {
            assert_eq!(s.parse::<PaymentType>().unwrap(), PaymentType::Ecom, "{s}");
        }
        assert_eq!(
            "Recurring".parse::<PaymentType>().unwrap(),
            PaymentType::Recurring
        );
        let err = "card".parse::<PaymentType>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "paymentType \"card\" is not known; use \"ECOM\" or \"RECURRING\""
        );
    }

    #[test]
    fn payment_type_renders_per_endpoint() {
        assert_eq!(
            serde_json::to_string(&PaymentType::Ecom).unwrap(),
            "\"ECOM\""
        );
        assert_eq!(PaymentType::Recurring.path_segment(), Some("recurring"));
        assert_eq!(PaymentType::Unknown("x".into()).path_segment(), None);
    }

    #[test]
    fn unknown_values_survive_a_round_trip() {
        let c: Currency = serde_json::from_str("\"SEK\"").unwrap();
        assert_eq!(c, Currency::Unknown("SEK".into()));
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"SEK\"");
        let f: BarcodeFormat = serde_json::from_str("\"CODE 39\"").unwrap();
        assert_eq!(f, BarcodeFormat::Code39);
    }

    #[test]
    fn wire_enums_are_case_sensitive_except_payment_type() {
        let c: CategoryType = serde_json::from_str("\"receipt\"").unwrap();
        assert!(!c.is_known());
    }

    #[test]
    fn expected_lists_values() {
        assert_eq!(Currency::expected(), "\"NOK\", \"DKK\" or \"EUR\"");
    }
}
