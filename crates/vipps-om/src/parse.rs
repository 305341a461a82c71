//! Reading request bodies written by people (JSON files, CLI input) with
//! field paths in every error.
//!
//! [`receipt_from_json`] reads each order line and the bottom line on its
//! own, so a file with mistakes in several lines reports each of them (the
//! first mistake *per line* for shape errors such as a missing field or a
//! string where a number belongs), then runs every [`Validate`] rule on a
//! receipt that parsed.
//!
//! [`category_from_json`] (v2 `Order`), [`add_category_request_from_json`]
//! (v3) and [`image_from_json`] read every field on its own, so each
//! missing or malformed field is reported with its name, and then run the
//! [`Validate`] rules. The simulator answers 400 with these problems, so
//! they are worded for the person who wrote the body.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::enums::{CategoryType, ImageEncoding, PaymentType};
use crate::ids::{ImageId, OrderId};
use crate::models::{AddCategoryRequest, BottomLine, Category, Image, OrderLine, Receipt};
use crate::validate::{Validate, ValidationReport};

/// The receipt and its warnings, or every problem found.
pub fn receipt_from_json(bytes: &[u8]) -> Result<(Receipt, ValidationReport), ValidationReport> {
    let mut report = ValidationReport::new();
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            report.error(
                "",
                format!(
                    "the file is not valid JSON (line {}, column {}): {}",
                    e.line(),
                    e.column(),
                    plain(&e)
                ),
            );
            return Err(report);
        }
    };
    receipt_from_value(&value)
}

/// [`receipt_from_json`] for a document already parsed (e.g. one field of
/// a JSON Lines record), without turning it back into text.
pub fn receipt_from_value(value: &Value) -> Result<(Receipt, ValidationReport), ValidationReport> {
    let mut report = ValidationReport::new();
    let Some(object) = value.as_object() else {
        report.error(
            "",
            "the receipt must be a JSON object with \"orderLines\" and \"bottomLine\"",
        );
        return Err(report);
    };

    let lines = match object.get("orderLines") {
        None => {
            report.error(
                "orderLines",
                "orderLines is missing; add the list of order lines",
            );
            None
        }
        Some(Value::Array(items)) => {
            let parsed: Vec<Option<OrderLine>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| part(item, &format!("orderLines[{i}]"), &mut report))
                .collect();
            parsed.into_iter().collect::<Option<Vec<_>>>()
        }
        Some(_) => {
            report.error(
                "orderLines",
                "orderLines must be a list ([...]) of order lines",
            );
            None
        }
    };
    let bottom_line = match object.get("bottomLine") {
        None => {
            report.error(
                "bottomLine",
                "bottomLine is missing; add at least {\"currency\": \"NOK\"}",
            );
            None
        }
        Some(item) => part::<BottomLine>(item, "bottomLine", &mut report),
    };

    match (lines, bottom_line) {
        (Some(order_lines), Some(bottom_line)) if !report.has_errors() => {
            let receipt = Receipt {
                order_lines,
                bottom_line,
            };
            report.merge(receipt.validate());
            report.into_result().map(|warnings| (receipt, warnings))
        }
        _ => Err(report),
    }
}

/// A v2 category body (`PUT /v2/{paymentType}/categories/{orderId}`, the
/// spec's `Order`) and its warnings, or every problem found. `imageId` may
/// be `null` (the spec marks it nullable there).
pub fn category_from_json(bytes: &[u8]) -> Result<(Category, ValidationReport), ValidationReport> {
    let mut report = ValidationReport::new();
    let object = object_of(
        bytes,
        "the category must be a JSON object with \"category\" and \"orderDetailsUrl\"",
        &mut report,
    )?;
    let category = required::<CategoryType>(&object, "category", TEXT, &mut report);
    let url = required::<String>(&object, "orderDetailsUrl", TEXT, &mut report);
    let image_id = optional::<ImageId>(&object, "imageId", Nulls::Allowed, &mut report);
    finish(
        Category {
            category: category.unwrap_or(CategoryType::General),
            order_details_url: url.unwrap_or_default(),
            image_id: image_id.flatten(),
        },
        report,
    )
}

/// A v3 category body (`POST /v3/categories`, the spec's
/// `AddCategoryRequest`) and its warnings, or every problem found. Unlike
/// v2, `imageId` may not be `null` (the spec does not mark it nullable).
pub fn add_category_request_from_json(
    bytes: &[u8],
) -> Result<(AddCategoryRequest, ValidationReport), ValidationReport> {
    let mut report = ValidationReport::new();
    let object = object_of(
        bytes,
        "the category must be a JSON object with \"orderId\", \"paymentType\", \"type\" and \"url\"",
        &mut report,
    )?;
    let order_id = required::<OrderId>(&object, "orderId", TEXT, &mut report);
    let payment_type = required::<PaymentType>(&object, "paymentType", TEXT, &mut report);
    let category_type = required::<CategoryType>(&object, "type", TEXT, &mut report);
    let url = required::<String>(&object, "url", TEXT, &mut report);
    let image_id = optional::<ImageId>(&object, "imageId", Nulls::Refused, &mut report);
    let Some(order_id) = order_id.or_else(|| OrderId::new("stand-in").ok()) else {
        return Err(report);
    };
    finish(
        AddCategoryRequest {
            order_id,
            payment_type: payment_type.unwrap_or(PaymentType::Ecom),
            category_type: category_type.unwrap_or(CategoryType::General),
            url: url.unwrap_or_default(),
            image_id: image_id.flatten(),
        },
        report,
    )
}

/// An image upload body (`POST /v1/images`) and its warnings, or every
/// problem found: fields first, then the decoded file itself (PNG or JPEG,
/// height, size; see [`crate::validate::validate_image_bytes`]).
pub fn image_from_json(bytes: &[u8]) -> Result<(Image, ValidationReport), ValidationReport> {
    let mut report = ValidationReport::new();
    let object = object_of(
        bytes,
        "the image must be a JSON object with \"imageId\", \"src\" and \"type\"",
        &mut report,
    )?;
    let image_id = required::<ImageId>(&object, "imageId", TEXT, &mut report);
    let src = required::<String>(&object, "src", TEXT, &mut report);
    let encoding = required::<ImageEncoding>(&object, "type", TEXT, &mut report);
    let Some(image_id) = image_id.or_else(|| ImageId::new("stand-in").ok()) else {
        return Err(report);
    };
    finish(
        Image {
            image_id,
            src: src.unwrap_or_default(),
            encoding: encoding.unwrap_or(ImageEncoding::Base64),
        },
        report,
    )
}

/// What a text field holds, for "wrong kind of value" messages.
const TEXT: &str = "a string";

/// Whether an optional field may be `null`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nulls {
    Allowed,
    Refused,
}

fn object_of(
    bytes: &[u8],
    shape: &str,
    report: &mut ValidationReport,
) -> Result<Map<String, Value>, ValidationReport> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => {
            report.error("", shape);
            Err(std::mem::take(report))
        }
        Err(e) => {
            report.error(
                "",
                format!(
                    "the body is not valid JSON (line {}, column {}): {}",
                    e.line(),
                    e.column(),
                    plain(&e)
                ),
            );
            Err(std::mem::take(report))
        }
    }
}

fn required<T: DeserializeOwned>(
    object: &Map<String, Value>,
    name: &str,
    kind: &str,
    report: &mut ValidationReport,
) -> Option<T> {
    match object.get(name) {
        None => {
            report.error(name, format!("{name} is missing; it is required"));
            None
        }
        Some(Value::Null) => {
            report.error(name, format!("{name} is null; it is required"));
            None
        }
        Some(value) => field(value, name, kind, report),
    }
}

/// `Some(None)` when absent (or an allowed `null`), `None` on a problem.
fn optional<T: DeserializeOwned>(
    object: &Map<String, Value>,
    name: &str,
    nulls: Nulls,
    report: &mut ValidationReport,
) -> Option<Option<T>> {
    match object.get(name) {
        None => Some(None),
        Some(Value::Null) if nulls == Nulls::Allowed => Some(None),
        Some(Value::Null) => {
            report.error(
                name,
                format!("{name} is null; leave it out or give a value"),
            );
            None
        }
        Some(value) => field(value, name, TEXT, report).map(Some),
    }
}

fn field<T: DeserializeOwned>(
    value: &Value,
    name: &str,
    kind: &str,
    report: &mut ValidationReport,
) -> Option<T> {
    match T::deserialize(value) {
        Ok(v) => Some(v),
        Err(e) => {
            let message = e.to_string();
            let message = match message.strip_prefix("invalid type: ") {
                Some(rest) => format!(
                    "wrong kind of value ({}); {name} must be {kind}",
                    rest.split(", expected").next().unwrap_or(rest)
                ),
                None => message,
            };
            report.error(name, message);
            None
        }
    }
}

/// Runs the [`Validate`] rules. When some fields did not parse, `value`
/// holds stand-ins for them and only the problems of the *other* fields
/// are kept, so one answer names every bad field.
fn finish<T: Validate>(
    value: T,
    mut report: ValidationReport,
) -> Result<(T, ValidationReport), ValidationReport> {
    if !report.has_errors() {
        report.merge(value.validate());
        return report.into_result().map(|warnings| (value, warnings));
    }
    let failed: Vec<String> = report.errors().map(|p| p.path.clone()).collect();
    let mut others = ValidationReport::new();
    for problem in value.validate().errors() {
        if !failed.contains(&problem.path) {
            others.error(problem.path.clone(), problem.message.clone());
        }
    }
    report.merge(others);
    Err(report)
}

/// Parses one part, adding its first shape error (with path) to `report`.
pub(crate) fn part<T: DeserializeOwned>(
    value: &Value,
    path: &str,
    report: &mut ValidationReport,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Some(v),
        Err(e) => {
            let inner = e.path().to_string();
            let full = if inner == "." {
                path.to_owned()
            } else {
                format!("{path}.{inner}")
            };
            report.error(full, explain(&e.into_inner().to_string()));
            None
        }
    }
}

/// Rewrites serde's wording into a sentence for people.
fn explain(serde_message: &str) -> String {
    if let Some(field) = serde_message
        .strip_prefix("missing field `")
        .and_then(|s| s.split('`').next())
    {
        return format!("{field} is missing; it is required");
    }
    if let Some(rest) = serde_message.strip_prefix("invalid type: ") {
        let rest = rest.split(" at line").next().unwrap_or(rest);
        // The amounts hint only where a whole number was expected: a
        // `null` currency is not a money problem.
        let wants_integer = [
            "expected i64",
            "expected u64",
            "expected u32",
            "expected i32",
        ]
        .iter()
        .any(|e| rest.ends_with(e));
        return if wants_integer {
            format!(
                "wrong kind of value ({rest}); amounts are whole numbers of øre/cents, e.g. 1000 for 10.00"
            )
        } else {
            format!("wrong kind of value ({rest})")
        };
    }
    serde_message
        .split(" at line")
        .next()
        .unwrap_or(serde_message)
        .to_owned()
}

fn plain(e: &serde_json::Error) -> String {
    let text = e.to_string();
    text.split(" at line").next().unwrap_or(&text).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_shape_errors_in_several_lines_at_once() {
        let json = br#"{"orderLines":[
            {"name":"a","id":"1","totalAmount":"10","totalAmountExcludingTax":8,"totalTaxAmount":2,"taxRate":2500},
            {"name":"b","id":"2","totalAmountExcludingTax":8,"totalTaxAmount":2,"taxRate":2500},
            {"name":"c","id":"3","totalAmount":10,"totalAmountExcludingTax":8,"totalTaxAmount":2,"taxRate":2500}
        ],"bottomLine":{}}"#;
        let report = receipt_from_json(json).unwrap_err();
        let paths: Vec<_> = report.errors().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec!["orderLines[0].totalAmount", "orderLines[1]", "bottomLine"]
        );
        assert!(
            report.problems()[1]
                .message
                .contains("totalAmount is missing"),
            "{report}"
        );
        assert!(
            report.problems()[0].message.contains("whole numbers"),
            "{report}"
        );
    }

    #[test]
    fn a_good_file_parses_and_is_validated() {
        let json = br#"{"orderLines":[{"name":"a","id":"1","totalAmount":1000,"totalAmountExcludingTax":800,"totalTaxAmount":200,"taxRate":2500}],
            "bottomLine":{"currency":"NOK"}}"#;
        let (receipt, warnings) = receipt_from_json(json).unwrap();
        assert_eq!(receipt.order_lines.len(), 1);
        assert!(warnings.is_empty());
        let bad_rule = br#"{"orderLines":[{"name":"a","id":"1","totalAmount":1000,"totalAmountExcludingTax":800,"totalTaxAmount":100,"taxRate":2500}],
            "bottomLine":{"currency":"NOK"}}"#;
        assert!(receipt_from_json(bad_rule).unwrap_err().has_errors());
    }

    #[test]
    fn only_number_fields_get_the_amounts_hint() {
        let json = br#"{"orderLines":[{"name":"a","id":"1","totalAmount":1.5,"totalAmountExcludingTax":8,"totalTaxAmount":2,"taxRate":2500}],
            "bottomLine":{"currency":null}}"#;
        let report = receipt_from_json(json).unwrap_err();
        assert!(
            report.problems()[0].message.contains("whole numbers"),
            "{report}"
        );
        assert_eq!(report.problems()[1].path, "bottomLine.currency");
        assert!(!report.problems()[1].message.contains("øre"), "{report}");
    }

    #[test]
    fn broken_json_says_where() {
        let report = receipt_from_json(b"{\"orderLines\": [").unwrap_err();
        assert!(report.problems()[0].message.contains("line 1"), "{report}");
    }

    fn error_paths(report: &ValidationReport) -> Vec<&str> {
        report.errors().map(|p| p.path.as_str()).collect()
    }

    #[test]
    fn category_reports_every_bad_field_by_name() {
        let report = category_from_json(br#"{"category":"receipt","imageId":"no spaces allowed"}"#)
            .unwrap_err();
        assert_eq!(
            error_paths(&report),
            vec!["orderDetailsUrl", "imageId", "category"]
        );
        assert!(report.problems()[0].message.contains("missing"), "{report}");
        assert!(report.problems()[1].message.contains("' '"), "{report}");

        // Fields that parse but break a rule are reported by `Validate`.
        let report = category_from_json(br#"{"category":"receipt","orderDetailsUrl":"not a url"}"#)
            .unwrap_err();
        assert_eq!(error_paths(&report), vec!["category", "orderDetailsUrl"]);
    }

    #[test]
    fn category_accepts_the_spec_example_and_a_null_image() {
        let (category, warnings) = category_from_json(
            br#"{"category":"GENERAL","orderDetailsUrl":"https://example.com","imageId":"socks-orange-123"}"#,
        )
        .unwrap();
        assert_eq!(category.category, CategoryType::General);
        assert_eq!(category.image_id.unwrap().as_str(), "socks-orange-123");
        assert!(warnings.is_empty(), "{warnings}");
        let (category, _) = category_from_json(
            br#"{"category":"TICKET","orderDetailsUrl":"https://example.com","imageId":null}"#,
        )
        .unwrap();
        assert!(category.image_id.is_none());
    }

    #[test]
    fn v3_category_reports_wrong_kinds_and_refuses_a_null_image() {
        let report = add_category_request_from_json(
            br#"{"orderId":"a b","paymentType":5,"type":"RECEIPT","url":"https://x.example","imageId":null}"#,
        )
        .unwrap_err();
        assert_eq!(
            error_paths(&report),
            vec!["orderId", "paymentType", "imageId"]
        );
        assert!(
            report.problems()[1].message.contains("must be a string"),
            "{report}"
        );
        // A field that does not parse does not hide rule problems elsewhere.
        let report = add_category_request_from_json(
            br#"{"orderId":"a b","paymentType":"ECOM","type":"NOPE","url":""}"#,
        )
        .unwrap_err();
        assert_eq!(error_paths(&report), vec!["orderId", "type", "url"]);
        let (request, _) = add_category_request_from_json(
            br#"{"orderId":"PaymentReference123","paymentType":"ECOM","type":"RECEIPT","url":"https://www.example.com"}"#,
        )
        .unwrap();
        assert_eq!(request.payment_type, PaymentType::Ecom);
        assert_eq!(request.order_id.as_str(), "PaymentReference123");
    }

    #[test]
    fn image_is_decoded_and_inspected() {
        use crate::image::fixtures::png;
        let good = Image::from_bytes(ImageId::new("logo-1").unwrap(), &png(200, 200));
        let json = serde_json::to_vec(&good).unwrap();
        let (image, warnings) = image_from_json(&json).unwrap();
        assert_eq!(image, good);
        assert!(warnings.is_empty(), "{warnings}");

        let small = Image::from_bytes(ImageId::new("logo-2").unwrap(), &png(200, 100));
        let report = image_from_json(&serde_json::to_vec(&small).unwrap()).unwrap_err();
        assert_eq!(error_paths(&report), vec!["src"]);
        assert!(report.problems()[0].message.contains("167"), "{report}");

        let report = image_from_json(br#"{"imageId":"","src":"%%%","type":"url"}"#).unwrap_err();
        assert_eq!(error_paths(&report), vec!["imageId", "type", "src"]);
        let report = image_from_json(br#"{"imageId":"ok","src":"%%%","type":"url"}"#).unwrap_err();
        assert_eq!(error_paths(&report), vec!["type", "src"]);
    }

    #[test]
    fn bodies_that_are_not_objects_are_one_problem_at_the_root() {
        for body in [&b"[]"[..], b"\"x\"", b"{", b""] {
            for report in [
                category_from_json(body).unwrap_err(),
                add_category_request_from_json(body).unwrap_err(),
                image_from_json(body).unwrap_err(),
            ] {
                assert_eq!(error_paths(&report), vec![""], "{report}");
            }
        }
    }
}
