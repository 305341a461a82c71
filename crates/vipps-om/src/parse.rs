//! Reading request bodies written by people (JSON files, CLI input) with
//! field paths in every error, every problem at once.
//!
//! [`receipt_from_json`] walks the JSON value itself: every field that is
//! missing, of the wrong kind or written in the wrong unit is reported in
//! plain words with what to write instead ("totalAmount must be a whole
//! number of øre/cents: 298.0 → 29800", "name must be text, not a number",
//! `orderLines[1].name is missing`), fields the API does not know are
//! warnings, and the [`Validate`] rules run in the same pass on what could
//! be read (decimals taken as major units, stand-ins for what is missing;
//! rule problems caused only by a stand-in are left out). One run shows
//! everything, ordered by line.
//!
//! [`category_from_json`] (v2 `Order`), [`add_category_request_from_json`]
//! (v3) and [`image_from_json`] read every field on its own, so each
//! missing or malformed field is reported with its name, and then run the
//! [`Validate`] rules. The simulator answers 400 with these problems, so
//! they are worded for the person who wrote the body.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

mod shape;

use crate::enums::{CategoryType, ImageEncoding, PaymentType};
use crate::ids::{ImageId, OrderId};
use crate::models::{AddCategoryRequest, Category, Image, Receipt};
use crate::validate::{Validate, ValidationReport};

/// The receipt and its warnings, or every problem found: every field
/// that is missing or written wrongly (with what to write instead) and
/// every broken rule, in one report ordered by line. A text that is not
/// JSON at all is one problem naming its line and column.
pub fn receipt_from_json(bytes: &[u8]) -> Result<(Receipt, ValidationReport), ValidationReport> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => receipt_from_value(&value),
        Err(e) => {
            let mut report = ValidationReport::new();
            report.error("", not_json("the file", &e));
            Err(report)
        }
    }
}

/// [`receipt_from_json`] for a document already parsed (e.g. one field of
/// a JSON Lines record), without turning it back into text.
pub fn receipt_from_value(value: &Value) -> Result<(Receipt, ValidationReport), ValidationReport> {
    let shape = shape::receipt(value);
    if !value.is_object() {
        return Err(shape.report);
    }
    let target = shape.repaired.as_ref().unwrap_or(value);
    let mut report = shape.report.clone();
    let receipt = match Receipt::deserialize(target) {
        Ok(receipt) => receipt,
        Err(_) => {
            // The walk knows every field of the model; should one slip
            // through, serde's first problem is still named by its path.
            part::<Receipt>(target, "", &mut report);
            if !report.has_errors() {
                report.error("", "the receipt could not be read");
            }
            return Err(report);
        }
    };
    let blocked = report.has_errors();
    for problem in receipt.validate().problems() {
        if shape.keeps(&problem.path) {
            report.push_problem(problem.clone());
        }
    }
    report.sort_by_line();
    if blocked {
        Err(report)
    } else {
        report.into_result().map(|warnings| (receipt, warnings))
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
        Ok(other) => {
            report.error("", format!("{shape}, not {}", shape::describe(&other)));
            Err(std::mem::take(report))
        }
        Err(e) => {
            report.error("", not_json("the body", &e));
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
    if kind == TEXT && !value.is_string() {
        // Ids may be digits; other text fields are words from a list.
        let hint = match value {
            Value::Number(n) if name.ends_with("Id") => format!(": write \"{n}\" (in quotes)"),
            _ => String::new(),
        };
        report.error(
            name,
            format!(
                "{name} must be text (\"...\"), not {}{hint}",
                shape::describe(value)
            ),
        );
        return None;
    }
    match T::deserialize(value) {
        Ok(v) => Some(v),
        Err(e) => {
            // The id and enum types explain themselves in words.
            report.error(name, explain(&e.to_string()));
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
fn part<T: DeserializeOwned>(
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
            } else if path.is_empty() {
                inner
            } else {
                format!("{path}.{inner}")
            };
            report.error(full, explain(&e.into_inner().to_string()));
            None
        }
    }
}

/// Rewrites serde's wording into a sentence for people (only reached for
/// problems the walk in [`shape`] does not put in its own words).
fn explain(serde_message: &str) -> String {
    let message = serde_message
        .split(" at line")
        .next()
        .unwrap_or(serde_message);
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|s| s.split('`').next())
    {
        return format!("{field} is missing; it is required");
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let found = rest.split(", expected").next().unwrap_or(rest);
        return format!("this value has the wrong kind ({found})");
    }
    message.to_owned()
}

/// One problem for a text that is not JSON, with its line and column.
fn not_json(what: &str, e: &serde_json::Error) -> String {
    let text = e.to_string();
    let reason = text.split(" at line").next().unwrap_or(&text);
    let reason = if e.is_eof() {
        "it ends before the JSON is complete (a closing } or ] or \" is missing?)".to_owned()
    } else {
        reason.to_owned()
    };
    format!(
        "{what} is not valid JSON: line {}, column {}: {reason}",
        e.line(),
        e.column().max(1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(report: &ValidationReport) -> Vec<String> {
        report
            .problems()
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect()
    }

    #[test]
    fn reports_shape_errors_in_several_lines_at_once() {
        let json = br#"{"orderLines":[
            {"name":"a","id":"1","totalAmount":"10","totalAmountExcludingTax":8,"totalTaxAmount":2,"taxRate":2500},
            {"name":"b","id":"2","totalAmountExcludingTax":8,"totalTaxAmount":2,"taxRate":2500},
            {"name":"c","id":"3","totalAmount":10,"totalAmountExcludingTax":8,"totalTaxAmount":2,"taxRate":2500}
        ],"bottomLine":{}}"#;
        let report = receipt_from_json(json).unwrap_err();
        assert_eq!(
            messages(&report),
            vec![
                "orderLines[0].totalAmount: totalAmount must be a number, not text: write 10 without quotes",
                "orderLines[1].totalAmount: totalAmount is missing; add the line's total with tax, in øre/cents",
                "bottomLine.currency: currency is missing; add the currency: \"NOK\", \"DKK\" or \"EUR\"",
            ]
        );
    }

    /// The receipt of the newcomer's first hour: two problems reported,
    /// then seven more once those were fixed. Now all of them at once.
    #[test]
    fn every_shape_and_rule_problem_in_one_report() {
        let json = br#"{"orderLines":[
            {"name":"Wool socks","id":"sku-1","totalAmount":298.0,"totalAmountExcludingTax":238.4,"totalTaxAmount":59.6,"taxRate":2500},
            {"name":2,"id":"sku-2","totalAmount":10000,"totalAmountExcludingTax":8000,"totalTaxAmount":2000,"taxRate":25},
            {"id":"sku-3","totalAmount":4900,"totalAmountExcludingTax":4000,"totalTaxAmount":900,"taxRate":2500},
            {"name":"Hat","id":"sku-4","totalAmount":100,"totalAmountExcludingTax":80,"taxRate":2500,"unitInfo":{"quantity":2,"unitPrice":50}}
        ],"bottomLine":{"currency":"NOK","tipAmount":"5.50","recieptNumber":"1"}}"#;
        let report = receipt_from_json(json).unwrap_err();
        assert_eq!(
            messages(&report),
            vec![
                "orderLines[0].totalAmount: totalAmount must be a whole number of øre/cents: 298.0 → 29800",
                "orderLines[0].totalAmountExcludingTax: totalAmountExcludingTax must be a whole number of øre/cents: 238.4 → 23840",
                "orderLines[0].totalTaxAmount: totalTaxAmount must be a whole number of øre/cents: 59.6 → 5960",
                "orderLines[1].name: name must be text, not a number: write \"2\" (in quotes)",
                "orderLines[1].taxRate: taxRate 25 means 0,25 %, but totalTaxAmount is 25 % of totalAmountExcludingTax: taxRate is in hundredths of a percent, write 2500 for 25 %",
                "orderLines[2].name: name is missing; add the product name customers see",
                "orderLines[2].totalTaxAmount: totalTaxAmount 900 does not match 25 % of totalAmountExcludingTax 4000 (expected 1000, ±1 for rounding); check the tax rate or the amounts",
                "orderLines[3].totalTaxAmount: totalTaxAmount is missing; add the line's tax, in øre/cents",
                "orderLines[3].unitInfo.quantity: quantity must be text, not a number: write \"2\" (in quotes)",
                "bottomLine.tipAmount: tipAmount must be a whole number of øre/cents without quotes: \"5.50\" → 550",
                "bottomLine.recieptNumber: recieptNumber is not a field of bottomLine and is left out when sending; the fields are currency, tipAmount, giftCardAmount, posId, totalAmount, totalTax, totalDiscount, shippingAmount, shippingInfo, paymentSources, barcode, receiptNumber, terminalId",
            ]
        );
        // The wording is for people, not serde's.
        let text = report.to_string();
        for serde_words in ["i64", "expected a", "floating point", "integer `"] {
            assert!(!text.contains(serde_words), "{text}");
        }
    }

    #[test]
    fn a_rule_problem_beside_a_missing_amount_is_not_a_stand_in_artefact() {
        // totalAmount is missing: "totalAmount 0 is not 8000 + 2000" would
        // be about the stand-in, so it is not shown; line 1's real tax
        // problem is.
        let json = br#"{"orderLines":[
            {"name":"a","id":"1","totalAmountExcludingTax":8000,"totalTaxAmount":2000,"taxRate":2500},
            {"name":"b","id":"2","totalAmount":10000,"totalAmountExcludingTax":8000,"totalTaxAmount":1000,"taxRate":2500}
        ],"bottomLine":{"currency":"NOK"}}"#;
        let report = receipt_from_json(json).unwrap_err();
        assert_eq!(
            error_paths(&report),
            vec![
                "orderLines[0].totalAmount",
                "orderLines[1].totalAmount",
                "orderLines[1].totalTaxAmount"
            ],
            "{report}"
        );
    }

    #[test]
    fn a_small_tax_rate_that_fits_is_a_warning_with_the_unit() {
        let json = br#"{"orderLines":[{"name":"Free sample","id":"1","totalAmount":0,"totalAmountExcludingTax":0,"totalTaxAmount":0,"taxRate":15}],
            "bottomLine":{"currency":"NOK"}}"#;
        let (_, warnings) = receipt_from_json(json).unwrap();
        assert_eq!(
            messages(&warnings),
            vec![
                "orderLines[0].taxRate: taxRate 15 is 0,15 %; taxRate is in hundredths of a percent, so if 15 % was meant, write 1500"
            ]
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
        let json = br#"{"orderLines":[{"name":"a","id":"1","totalAmount":1.5,"totalAmountExcludingTax":1.2,"totalTaxAmount":0.3,"taxRate":2500}],
            "bottomLine":{"currency":null}}"#;
        let report = receipt_from_json(json).unwrap_err();
        assert!(
            report.problems()[0].message.contains("1.5 → 150"),
            "{report}"
        );
        let currency = report.problems().last().unwrap();
        assert_eq!(currency.path, "bottomLine.currency");
        assert!(!currency.message.contains("øre"), "{report}");
        assert_eq!(report.errors().count(), 4, "{report}");
    }

    #[test]
    fn wrong_kinds_of_objects_and_lists_are_named() {
        let report =
            receipt_from_json(br#"{"orderLines":{"name":"a"},"bottomLine":"NOK"}"#).unwrap_err();
        assert_eq!(
            messages(&report),
            vec![
                "orderLines: orderLines must be a list ([...]) of order lines, not an object ({...})",
                "bottomLine: bottomLine must be an object ({\"currency\": \"NOK\", ...}), not text (\"NOK\")",
            ]
        );
        let report = receipt_from_json(br#"[1, 2]"#).unwrap_err();
        assert_eq!(error_paths(&report), vec![""]);
        let report = receipt_from_json(
            br#"{"orderLines":[7,{"name":"a","id":"1","totalAmount":1000,"totalAmountExcludingTax":800,"totalTaxAmount":200,"taxRate":2500,"isReturn":"yes"}],"bottomLine":{"currency":578}}"#,
        )
        .unwrap_err();
        assert_eq!(
            messages(&report),
            vec![
                "orderLines[0]: each order line must be an object ({\"name\": ..., \"id\": ..., \"totalAmount\": ...}), not a number (7)",
                "orderLines[1].isReturn: isReturn must be true or false, not text (\"yes\")",
                "bottomLine.currency: currency must be one of \"NOK\", \"DKK\" or \"EUR\", not a number (578)",
            ]
        );
    }

    #[test]
    fn broken_json_is_one_problem_with_line_and_column() {
        let report = receipt_from_json(b"{\"orderLines\": [").unwrap_err();
        assert_eq!(report.problems().len(), 1);
        assert!(
            report.problems()[0]
                .message
                .starts_with("the file is not valid JSON: line 1, column 16: it ends before"),
            "{report}"
        );
        let report =
            receipt_from_json(b"{\n  \"orderLines\": [],\n  \"bottomLine\": {,}\n}").unwrap_err();
        assert_eq!(report.problems().len(), 1);
        assert!(
            report.problems()[0].message.contains("line 3, column 18"),
            "{report}"
        );
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
        assert_eq!(
            report.problems()[1].message,
            "paymentType must be text (\"...\"), not a number (5)"
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
