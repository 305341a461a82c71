//! The spec's request schemas as data, and the walker that checks raw JSON
//! against them. Each table below is one `components.schemas` entry of
//! `order-management-openapi.yaml`, fields in the spec's order; a field's
//! line reads like its YAML (`required`, `nullable`, type, bounds).
//!
//! Two readings where the spec leaves room, both listed in the README:
//! - a field that is `required` and whose enum is `nullable`
//!   (`category`, `type`, `currency`, barcode `format`) refuses `null`:
//!   ASP.NET's `[Required]` refuses `null`, and a receipt without a
//!   currency cannot be shown;
//! - the three line amounts (`totalAmount`, `totalAmountExcludingTax`,
//!   `totalTaxAmount`) have `minimum: 0` here although the spec gives
//!   none: the changelog (August 2022) says negative amounts are no longer
//!   allowed on order lines.

use serde_json::{Map, Value};

use super::{Findings, leaf};

/// A string pattern of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// `^[0-9A-Za-z-_\.]+$` (orderId, imageId).
    Id,
    /// `^\d+([\.]\d{1,8})?$` (unitInfo.quantity).
    Quantity,
}

impl Pattern {
    /// The regular expression as the spec writes it.
    pub(crate) fn regex(self) -> &'static str {
        match self {
            Pattern::Id => r"^[0-9A-Za-z-_\.]+$",
            Pattern::Quantity => r"^\d+([\.]\d{1,8})?$",
        }
    }

    pub(crate) fn matches(self, text: &str) -> bool {
        match self {
            Pattern::Id => {
                !text.is_empty()
                    && text
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            }
            Pattern::Quantity => {
                let (whole, fraction) = match text.split_once('.') {
                    Some((whole, fraction)) => (whole, Some(fraction)),
                    None => (text, None),
                };
                let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
                digits(whole) && fraction.is_none_or(|f| digits(f) && f.len() <= 8)
            }
        }
    }
}

/// The type of a field, with its bounds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ty {
    /// `type: string`.
    Str {
        min: usize,
        max: Option<usize>,
        pattern: Option<Pattern>,
        /// `format: uri`: an absolute URI.
        uri: bool,
    },
    /// `type: integer` (`int64` at most), with `minimum`/`maximum`.
    Int { min: Option<i64>, max: Option<i64> },
    /// `type: boolean`.
    Bool,
    /// A string `enum`.
    Enum(&'static [&'static str]),
    /// `type: object` with these properties.
    Object(&'static [Field]),
    /// `type: array` of objects with these properties, `minItems`.
    Array {
        items: &'static [Field],
        min_items: usize,
    },
}

/// One property of a schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) ty: Ty,
    pub(crate) required: bool,
    pub(crate) nullable: bool,
}

const fn req(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: true,
        nullable: false,
    }
}
const fn opt(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: false,
        nullable: false,
    }
}
const fn nullable(field: Field) -> Field {
    Field {
        nullable: true,
        ..field
    }
}

const TEXT: Ty = Ty::Str {
    min: 0,
    max: None,
    pattern: None,
    uri: false,
};
const URI: Ty = Ty::Str {
    min: 1,
    max: None,
    pattern: None,
    uri: true,
};
const ID_128: Ty = Ty::Str {
    min: 1,
    max: Some(128),
    pattern: Some(Pattern::Id),
    uri: false,
};
/// `OrderId`: the pattern, and the simulator's length limit
/// ([`ORDER_ID_MAX`]; the spec sets none).
const ORDER_ID: Ty = Ty::Str {
    min: 1,
    max: Some(ORDER_ID_MAX),
    pattern: Some(Pattern::Id),
    uri: false,
};
const INT64: Ty = Ty::Int {
    min: None,
    max: None,
};
const AMOUNT: Ty = Ty::Int {
    min: Some(0),
    max: None,
};
const PERCENT: Ty = Ty::Int {
    min: Some(0),
    max: Some(100),
};

/// Longest orderId the simulator takes, in characters: the spec sets no
/// limit; the payment APIs cap theirs at 50 and image ids at 128. Beyond
/// it: 400 naming `orderId` (in every mode; listed as a deviation).
pub(crate) const ORDER_ID_MAX: usize = 128;

/// `CategoryEnum`.
pub(crate) const CATEGORY_ENUM: &[&str] = &[
    "GENERAL",
    "RECEIPT",
    "ORDER_CONFIRMATION",
    "DELIVERY",
    "TICKET",
    "BOOKING",
];
/// `CurrencyEnum`.
const CURRENCY_ENUM: &[&str] = &["NOK", "DKK", "EUR"];
/// `QuantityUnitEnum`.
const QUANTITY_UNIT_ENUM: &[&str] = &["PCS", "KG", "KM", "MINUTE", "LITRE", "KWH"];
/// `BarcodeFormatEnum`.
const BARCODE_FORMAT_ENUM: &[&str] = &["EAN-13", "CODE 39", "CODE 128"];
/// `PaymentType` (in bodies; paths take any case).
const PAYMENT_TYPE_ENUM: &[&str] = &["ECOM", "RECURRING"];

/// `Image` (`POST /v1/images`).
pub(crate) const IMAGE: &[Field] = &[
    req(
        "imageId",
        Ty::Str {
            min: 0,
            max: Some(128),
            pattern: Some(Pattern::Id),
            uri: false,
        },
    ),
    req("src", TEXT),
    req("type", Ty::Enum(&["base64"])),
];

/// `Order` (`PUT /v2/{paymentType}/categories/{orderId}`).
pub(crate) const ORDER: &[Field] = &[
    req("category", Ty::Enum(CATEGORY_ENUM)),
    req("orderDetailsUrl", URI),
    nullable(opt("imageId", ID_128)),
];

/// `AddCategoryRequest` (`POST /v3/categories`).
pub(crate) const ADD_CATEGORY_REQUEST: &[Field] = &[
    req("orderId", ORDER_ID),
    req("paymentType", Ty::Enum(PAYMENT_TYPE_ENUM)),
    req("type", Ty::Enum(CATEGORY_ENUM)),
    req("url", URI),
    opt("imageId", ID_128),
];

/// `Receipt` (`POST /v2/{paymentType}/receipts/{orderId}`).
pub(crate) const RECEIPT: &[Field] = &[
    req(
        "orderLines",
        Ty::Array {
            items: ORDER_LINE,
            min_items: 1,
        },
    ),
    req("bottomLine", Ty::Object(BOTTOM_LINE)),
];

/// `OrderLine`.
const ORDER_LINE: &[Field] = &[
    req("name", TEXT),
    req("id", TEXT),
    // minimum 0: the changelog, not the spec (see the module docs).
    req("totalAmount", AMOUNT),
    req("totalAmountExcludingTax", AMOUNT),
    req("totalTaxAmount", AMOUNT),
    nullable(opt("taxPercentage", PERCENT)),
    nullable(opt(
        "taxRate",
        Ty::Int {
            min: Some(0),
            max: Some(10_000),
        },
    )),
    opt("unitInfo", Ty::Object(UNIT_INFO)),
    nullable(opt("discount", AMOUNT)),
    nullable(opt("productUrl", TEXT)),
    nullable(opt("isReturn", Ty::Bool)),
    nullable(opt("isShipping", Ty::Bool)),
];

/// `UnitInfo`.
const UNIT_INFO: &[Field] = &[
    nullable(req("unitPrice", AMOUNT)),
    req(
        "quantity",
        Ty::Str {
            min: 0,
            max: Some(10),
            pattern: Some(Pattern::Quantity),
            uri: false,
        },
    ),
    nullable(opt("quantityUnit", Ty::Enum(QUANTITY_UNIT_ENUM))),
];

/// `BottomLine`.
const BOTTOM_LINE: &[Field] = &[
    req("currency", Ty::Enum(CURRENCY_ENUM)),
    nullable(opt("tipAmount", AMOUNT)),
    nullable(opt("giftCardAmount", AMOUNT)),
    nullable(opt("posId", TEXT)),
    nullable(opt("totalAmount", INT64)),
    nullable(opt("totalTax", AMOUNT)),
    nullable(opt("totalDiscount", AMOUNT)),
    nullable(opt("shippingAmount", AMOUNT)),
    opt("shippingInfo", Ty::Object(SHIPPING_INFO)),
    opt("paymentSources", Ty::Object(PAYMENT_SOURCES)),
    opt("barcode", Ty::Object(BARCODE)),
    nullable(opt("receiptNumber", TEXT)),
    nullable(opt("terminalId", TEXT)),
];

/// `ShippingInfo` (deprecated).
const SHIPPING_INFO: &[Field] = &[
    nullable(req("amount", AMOUNT)),
    nullable(req("amountExcludingTax", AMOUNT)),
    nullable(req("taxAmount", AMOUNT)),
    nullable(req("taxPercentage", PERCENT)),
];

/// `PaymentSources`.
const PAYMENT_SOURCES: &[Field] = &[
    nullable(opt("giftCard", INT64)),
    nullable(opt("card", INT64)),
    nullable(opt("voucher", INT64)),
    nullable(opt("cash", INT64)),
];

/// `Barcode`.
const BARCODE: &[Field] = &[
    req("format", Ty::Enum(BARCODE_FORMAT_ENUM)),
    nullable(req("data", TEXT)),
];

/// Checks a JSON object against `fields`; names are `prefix` + field.
pub(crate) fn check_object(
    object: &Map<String, Value>,
    fields: &[Field],
    prefix: &str,
    findings: &mut Findings,
) {
    // One buffer for every field's path (a field's path is only read when
    // something is wrong with it): allocating a path per field was most
    // of the cost of checking a valid receipt.
    let mut path = String::with_capacity(prefix.len() + 32);
    for field in fields {
        path.clear();
        if !prefix.is_empty() {
            path.push_str(prefix);
            path.push('.');
        }
        path.push_str(field.name);
        let path = path.as_str();
        match object.get(field.name) {
            None if field.required => {
                findings.refuse(path, format!("The {} field is required.", field.name));
            }
            None => {}
            Some(Value::Null) if field.nullable => {}
            Some(Value::Null) if field.required => {
                findings.refuse(path, format!("The {} field is required.", field.name));
            }
            Some(value) => check_value(value, &field.ty, path, findings),
        }
    }
}

/// Checks one value of type `ty` at `path`.
pub(crate) fn check_value(value: &Value, ty: &Ty, path: &str, findings: &mut Findings) {
    let name = leaf(path);
    match *ty {
        Ty::Str {
            min,
            max,
            pattern,
            uri,
        } => {
            let Some(text) = value.as_str() else {
                findings.refuse(path, format!("The field {name} must be a string."));
                return;
            };
            check_text(text, min, max, pattern, path, findings);
            if uri && !text.is_empty() && !is_absolute_uri(text) {
                findings.refuse(
                    path,
                    format!("The field {name} must be an absolute URI (format: uri)."),
                );
            }
        }
        Ty::Int { min, max } => {
            let Some(number) = value.as_i64() else {
                let reason = if value.is_u64() {
                    format!(
                        "The field {name} must be an integer of at most {} (int64).",
                        i64::MAX
                    )
                } else {
                    format!("The field {name} must be an integer.")
                };
                findings.refuse(path, reason);
                return;
            };
            if min.is_some_and(|m| number < m) || max.is_some_and(|m| number > m) {
                findings.refuse(
                    path,
                    format!(
                        "The field {name} must be between {} and {}.",
                        min.unwrap_or(i64::MIN),
                        max.unwrap_or(i64::MAX)
                    ),
                );
            }
        }
        Ty::Bool => {
            if !value.is_boolean() {
                findings.refuse(path, format!("The field {name} must be true or false."));
            }
        }
        Ty::Enum(allowed) => match value.as_str() {
            None => findings.refuse(path, format!("The field {name} must be a string.")),
            Some(text) if !allowed.contains(&text) => findings.refuse(
                path,
                format!("The field {name} must be one of: {}.", allowed.join(", ")),
            ),
            Some(_) => {}
        },
        Ty::Object(fields) => match value.as_object() {
            Some(object) => check_object(object, fields, path, findings),
            None => findings.refuse(path, format!("The field {name} must be a JSON object.")),
        },
        Ty::Array { items, min_items } => {
            let Some(array) = value.as_array() else {
                findings.refuse(path, format!("The field {name} must be an array."));
                return;
            };
            if array.len() < min_items {
                findings.refuse(
                    path,
                    format!(
                        "The field {name} must be a string or array type with a minimum length of '{min_items}'."
                    ),
                );
            }
            for (i, item) in array.iter().enumerate() {
                let item_path = format!("{path}[{i}]");
                match item.as_object() {
                    Some(object) => check_object(object, items, &item_path, findings),
                    None => findings.refuse(
                        &item_path,
                        format!("The field {name}[{i}] must be a JSON object."),
                    ),
                }
            }
        }
    }
}

/// Length (in characters) and pattern of a string.
pub(crate) fn check_text(
    text: &str,
    min: usize,
    max: Option<usize>,
    pattern: Option<Pattern>,
    path: &str,
    findings: &mut Findings,
) {
    let name = leaf(path);
    let length = text.chars().count();
    match max {
        Some(max) if length > max || length < min => {
            let reason = if min > 0 {
                format!(
                    "The field {name} must be a string with a minimum length of {min} and a maximum length of {max}."
                )
            } else {
                format!("The field {name} must be a string with a maximum length of {max}.")
            };
            findings.refuse(path, reason);
            return;
        }
        None if length < min => {
            findings.refuse(
                path,
                format!(
                    "The field {name} must be a string or array type with a minimum length of '{min}'."
                ),
            );
            return;
        }
        _ => {}
    }
    if let Some(pattern) = pattern
        && !pattern.matches(text)
    {
        findings.refuse(
            path,
            format!(
                "The field {name} must match the regular expression '{}'.",
                pattern.regex()
            ),
        );
    }
}

/// Where `path` sits in a body of schema `root`: the index of each field
/// in its table and each array index, so that problems sort in the spec's
/// field order and line by line. Names outside the body (headers, path
/// parameters, `$`) have an empty key and sort first.
pub(crate) fn order_key(path: &str, root: &[Field]) -> Vec<usize> {
    let mut key = Vec::new();
    let mut fields = root;
    for segment in path.split('.') {
        let (name, indexes) = segment.split_once('[').unwrap_or((segment, ""));
        let Some(position) = fields.iter().position(|f| f.name == name) else {
            break;
        };
        key.push(position.saturating_add(1));
        for index in indexes.split('[') {
            if let Ok(i) = index.trim_end_matches(']').parse::<usize>() {
                key.push(i);
            }
        }
        fields = match fields[position].ty {
            Ty::Object(inner) | Ty::Array { items: inner, .. } => inner,
            _ => &[],
        };
    }
    key
}

/// An `orderId` in a path: the spec's pattern and [`ORDER_ID_MAX`].
pub(crate) fn check_order_id(text: &str, findings: &mut Findings) {
    check_text(
        text,
        1,
        Some(ORDER_ID_MAX),
        Some(Pattern::Id),
        "orderId",
        findings,
    );
}

/// An absolute URI: a scheme, then anything `url` accepts.
pub(crate) fn is_absolute_uri(text: &str) -> bool {
    url::Url::parse(text).is_ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::rules::Mode;

    fn problems(body: Value, fields: &[Field]) -> Vec<(String, String)> {
        let mut findings = Findings::new(Mode::Default);
        check_object(body.as_object().unwrap(), fields, "", &mut findings);
        findings
            .take_problems()
            .into_iter()
            .map(|p| (p.name, p.reason))
            .collect()
    }

    #[test]
    fn problems_sort_in_the_spec_field_order_line_by_line() {
        let mut names = vec![
            "bottomLine.currency",
            "orderLines[1].totalAmount",
            "orderLines[0].unitInfo.quantity",
            "orderLines[0].name",
            "Merchant-Serial-Number",
        ];
        names.sort_by_key(|n| order_key(n, RECEIPT));
        assert_eq!(
            names,
            [
                "Merchant-Serial-Number",
                "orderLines[0].name",
                "orderLines[0].unitInfo.quantity",
                "orderLines[1].totalAmount",
                "bottomLine.currency",
            ]
        );
    }

    #[test]
    fn patterns_follow_the_spec() {
        for ok in ["a", "A-z_0.9", "-"] {
            assert!(Pattern::Id.matches(ok), "{ok}");
        }
        for bad in ["", "a b", "æ", "a/b"] {
            assert!(!Pattern::Id.matches(bad), "{bad}");
        }
        for ok in ["0", "2.5", "0.12345678", "10"] {
            assert!(Pattern::Quantity.matches(ok), "{ok}");
        }
        for bad in ["", "2,5", "2.", ".5", "1.123456789", "-1", "1e3"] {
            assert!(!Pattern::Quantity.matches(bad), "{bad}");
        }
    }

    #[test]
    fn reasons_are_aspnet_sentences() {
        let found = problems(
            json!({"orderLines": [{"name": 1, "id": "x", "totalAmount": 10.5,
                "totalAmountExcludingTax": -1, "totalTaxAmount": 0, "taxRate": 20000,
                "unitInfo": {"unitPrice": null, "quantity": "12345678901"}}],
                "bottomLine": {"currency": null, "barcode": {"format": "QR", "data": null}}}),
            RECEIPT,
        );
        let expected = [
            ("orderLines[0].name", "The field name must be a string."),
            (
                "orderLines[0].totalAmount",
                "The field totalAmount must be an integer.",
            ),
            (
                "orderLines[0].totalAmountExcludingTax",
                "The field totalAmountExcludingTax must be between 0 and 9223372036854775807.",
            ),
            (
                "orderLines[0].taxRate",
                "The field taxRate must be between 0 and 10000.",
            ),
            (
                "orderLines[0].unitInfo.quantity",
                "The field quantity must be a string with a maximum length of 10.",
            ),
            ("bottomLine.currency", "The currency field is required."),
            (
                "bottomLine.barcode.format",
                "The field format must be one of: EAN-13, CODE 39, CODE 128.",
            ),
        ];
        let found: Vec<(&str, &str)> = found
            .iter()
            .map(|(n, r)| (n.as_str(), r.as_str()))
            .collect();
        assert_eq!(found, expected);
        assert_eq!(
            problems(json!({}), RECEIPT),
            vec![
                (
                    "orderLines".to_owned(),
                    "The orderLines field is required.".to_owned()
                ),
                (
                    "bottomLine".to_owned(),
                    "The bottomLine field is required.".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn nullable_is_not_optional_and_optional_is_not_nullable() {
        let found = problems(
            json!({"orderLines": [{"name": "a", "id": "1", "totalAmount": 0,
                "totalAmountExcludingTax": 0, "totalTaxAmount": 0,
                "unitInfo": {"quantity": "1"}}, {"name": "a", "id": "1", "totalAmount": 0,
                "totalAmountExcludingTax": 0, "totalTaxAmount": 0, "unitInfo": null}],
                "bottomLine": {"currency": "NOK", "paymentSources": [], "shippingInfo": {"amount": null}}}),
            RECEIPT,
        );
        let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "orderLines[0].unitInfo.unitPrice",
                "orderLines[1].unitInfo",
                "bottomLine.shippingInfo.amountExcludingTax",
                "bottomLine.shippingInfo.taxAmount",
                "bottomLine.shippingInfo.taxPercentage",
                "bottomLine.paymentSources",
            ]
        );
    }

    #[test]
    fn uris_must_be_absolute_and_ids_fit_their_pattern() {
        let found = problems(
            json!({"orderId": "a b", "paymentType": "ecom", "type": "RECEIPT", "url": "/relative", "imageId": ""}),
            ADD_CATEGORY_REQUEST,
        );
        let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["orderId", "paymentType", "url", "imageId"]);
        assert_eq!(
            found[0].1,
            r"The field orderId must match the regular expression '^[0-9A-Za-z-_\.]+$'."
        );
        assert_eq!(
            found[3].1,
            "The field imageId must be a string with a minimum length of 1 and a maximum length of 128."
        );
        assert!(
            problems(
                json!({"category": "GENERAL", "orderDetailsUrl": "http://shop.example/1"}),
                ORDER
            )
            .is_empty()
        );
    }
}
