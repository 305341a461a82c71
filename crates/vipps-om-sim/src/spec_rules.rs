//! Spec constraints that the client library's models are lenient about on
//! purpose (they read what the API *sends* tolerantly), checked on the raw
//! JSON of a request so that the simulator refuses every body the spec's
//! schema refuses:
//! - `unitInfo.unitPrice`, `shippingInfo`'s four fields: required even
//!   though nullable (a missing key is not the same as `null`);
//! - `unitInfo`, `paymentSources`, `barcode`, `shippingInfo`: objects that
//!   the spec does not mark nullable, so `null` is refused;
//! - the deprecated bottom-line amounts keep their `minimum: 0`, and
//!   `shippingInfo.taxPercentage` its 0–100;
//! - v3 `paymentType` is the spec's enum exactly, `ECOM` or `RECURRING`
//!   (the library also reads `ecom` and `ePayment`);
//! - every sum the app shows must fit in the spec's `int64` minor units
//!   ([`sums`], the simulator's own arithmetic on the raw JSON, not the
//!   client library's): the lines' `totalAmount`, `totalAmountExcludingTax`,
//!   `totalTaxAmount` and `discount` each added up as magnitudes (so any
//!   group of lines fits too: per tax rate, items, returns), the total with
//!   `tipAmount`, and the `paymentSources`. The field where the running sum
//!   stops fitting is named.

use serde_json::Value;
use vipps_om::ValidationReport;

/// Rules for a receipt body (`POST /v2/{paymentType}/receipts/{orderId}`).
pub(crate) fn receipt(body: &Value) -> ValidationReport {
    let mut report = ValidationReport::new();
    if let Some(Value::Array(lines)) = body.get("orderLines") {
        for (i, line) in lines.iter().enumerate() {
            if !line.is_object() {
                not_an_object(&mut report, &format!("orderLines[{i}]"));
                continue;
            }
            let path = format!("orderLines[{i}].unitInfo");
            match line.get("unitInfo") {
                Some(Value::Null) => not_null(&mut report, &path, "unitInfo"),
                Some(value) if !value.is_object() => not_an_object(&mut report, &path),
                Some(Value::Object(info)) if !info.contains_key("unitPrice") => report.error(
                    format!("{path}.unitPrice"),
                    "unitPrice is missing; it is required (write null when there is no unit price)",
                ),
                _ => {}
            }
        }
    }
    sums(body, &mut report);
    let bottom = match body.get("bottomLine") {
        Some(Value::Object(bottom)) => bottom,
        Some(_) => {
            not_an_object(&mut report, "bottomLine");
            return report;
        }
        None => return report,
    };
    for field in ["paymentSources", "barcode", "shippingInfo"] {
        let path = format!("bottomLine.{field}");
        match bottom.get(field) {
            Some(Value::Null) => not_null(&mut report, &path, field),
            Some(value) if !value.is_object() => not_an_object(&mut report, &path),
            _ => {}
        }
    }
    for field in [
        "giftCardAmount",
        "totalTax",
        "totalDiscount",
        "shippingAmount",
    ] {
        non_negative(
            &mut report,
            bottom.get(field),
            &format!("bottomLine.{field}"),
        );
    }
    if let Some(Value::Object(barcode)) = bottom.get("barcode")
        && !barcode.contains_key("data")
    {
        report.error(
            "bottomLine.barcode.data",
            "data is missing; it is required (the value the barcode encodes)",
        );
    }
    if let Some(Value::Object(shipping)) = bottom.get("shippingInfo") {
        for field in ["amount", "amountExcludingTax", "taxAmount", "taxPercentage"] {
            let path = format!("bottomLine.shippingInfo.{field}");
            match shipping.get(field) {
                None => report.error(
                    path,
                    format!("{field} is missing; shippingInfo needs amount, amountExcludingTax, taxAmount and taxPercentage (or better: send shipping as an order line with isShipping)"),
                ),
                Some(value) if field == "taxPercentage" => {
                    if let Some(pct) = value.as_i64().filter(|p| !(0..=100).contains(p)) {
                        report.error(
                            path,
                            format!("taxPercentage {pct} is out of range; use 0 to 100"),
                        );
                    }
                }
                value => non_negative(&mut report, value, &path),
            }
        }
    }
    report
}

/// The largest sum of amounts: `int64` minor units.
const MAX_SUM: u64 = i64::MAX.unsigned_abs();

/// Adds `|value|` to `sum` when `value` is an integer; `false` when the
/// sum goes beyond [`MAX_SUM`]. Other values are left to the shape checks.
fn add_magnitude(sum: &mut u64, value: Option<&Value>) -> bool {
    let Some(amount) = value.and_then(Value::as_i64) else {
        return true;
    };
    match sum.checked_add(amount.unsigned_abs()) {
        Some(next) if next <= MAX_SUM => {
            *sum = next;
            true
        }
        _ => false,
    }
}

fn too_large(what: &str) -> String {
    format!(
        "{what} does not fit in an int64 amount of minor units (at most {MAX_SUM}); no receipt holds that much"
    )
}

/// Sums of a receipt that must fit (see the module docs).
fn sums(body: &Value, report: &mut ValidationReport) {
    let lines = match body.get("orderLines") {
        Some(Value::Array(lines)) => lines.as_slice(),
        _ => &[],
    };
    let bottom = body.get("bottomLine").filter(|b| b.is_object());
    for field in [
        "totalAmount",
        "totalAmountExcludingTax",
        "totalTaxAmount",
        "discount",
    ] {
        let mut sum = 0;
        let overflow = lines
            .iter()
            .position(|line| !add_magnitude(&mut sum, line.get(field)));
        if let Some(i) = overflow {
            report.error(
                format!("orderLines[{i}].{field}"),
                too_large(&format!("the sum of the order lines' {field}")),
            );
        } else if field == "totalAmount"
            && !add_magnitude(&mut sum, bottom.and_then(|b| b.get("tipAmount")))
        {
            report.error(
                "bottomLine.tipAmount",
                too_large("the order lines' total with the tip"),
            );
        }
    }
    if let Some(Value::Object(sources)) = bottom.and_then(|b| b.get("paymentSources")) {
        let mut sum = 0;
        for name in ["giftCard", "card", "voucher", "cash"] {
            if !add_magnitude(&mut sum, sources.get(name)) {
                report.error(
                    format!("bottomLine.paymentSources.{name}"),
                    too_large("the sum of the payment sources"),
                );
                break;
            }
        }
    }
}

/// Rules for a v3 category body (`POST /v3/categories`).
pub(crate) fn add_category(body: &Value) -> ValidationReport {
    let mut report = ValidationReport::new();
    if let Some(Value::String(payment_type)) = body.get("paymentType")
        && payment_type != "ECOM"
        && payment_type != "RECURRING"
    {
        report.error(
            "paymentType",
            format!("{payment_type:?} is not a payment type; write \"ECOM\" (eCom and ePayment payments) or \"RECURRING\", in capitals as the spec does"),
        );
    }
    report
}

/// serde reads a struct from a JSON array too (`[500, "2"]` as a
/// `UnitInfo`); the spec wants objects.
fn not_an_object(report: &mut ValidationReport, path: &str) {
    report.error(path, "must be a JSON object ({...})");
}

fn not_null(report: &mut ValidationReport, path: &str, field: &str) {
    report.error(
        path,
        format!("{field} is null; leave it out or give an object"),
    );
}

fn non_negative(report: &mut ValidationReport, value: Option<&Value>, path: &str) {
    let negative = value.and_then(Value::as_f64).filter(|v| *v < 0.0).is_some();
    if negative {
        let field = path.rsplit('.').next().unwrap_or(path);
        report.error(
            path,
            format!("{field} is negative; amounts are never negative"),
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn paths(report: &ValidationReport) -> Vec<&str> {
        report.errors().map(|p| p.path.as_str()).collect()
    }

    #[test]
    fn receipts_follow_required_and_nullable_exactly() {
        let body = json!({
            "orderLines": [
                {"unitInfo": {"quantity": "1"}},
                {"unitInfo": null},
                {"unitInfo": {"unitPrice": null, "quantity": "1"}}
            ],
            "bottomLine": {
                "barcode": {"format": "EAN-13"},
                "paymentSources": null,
                "giftCardAmount": -1,
                "totalAmount": -1,
                "shippingInfo": {"amount": -5, "taxAmount": 0, "taxPercentage": 101}
            }
        });
        assert_eq!(
            paths(&receipt(&body)),
            vec![
                "orderLines[0].unitInfo.unitPrice",
                "orderLines[1].unitInfo",
                "bottomLine.paymentSources",
                "bottomLine.giftCardAmount",
                "bottomLine.barcode.data",
                "bottomLine.shippingInfo.amount",
                "bottomLine.shippingInfo.amountExcludingTax",
                "bottomLine.shippingInfo.taxPercentage",
            ]
        );
    }

    #[test]
    fn objects_written_as_arrays_are_refused() {
        let body = json!({
            "orderLines": [[1, 2], {"unitInfo": [500, "2"]}],
            "bottomLine": {"paymentSources": [], "barcode": ["EAN-13", "1"]}
        });
        assert_eq!(
            paths(&receipt(&body)),
            vec![
                "orderLines[0]",
                "orderLines[1].unitInfo",
                "bottomLine.paymentSources",
                "bottomLine.barcode"
            ]
        );
        assert_eq!(
            paths(&receipt(&json!({"bottomLine": ["NOK"]}))),
            vec!["bottomLine"]
        );
    }

    #[test]
    fn sums_beyond_int64_are_refused_at_the_field_that_overflows() {
        let max = i64::MAX;
        let line = |amount: i64| json!({"totalAmount": amount, "totalAmountExcludingTax": amount, "totalTaxAmount": 0});
        // Two lines of i64::MAX: even with the second a return (signed sum
        // 0) the lines cannot be shown with totals.
        let mut returned = line(max);
        returned["isReturn"] = json!(true);
        let body = json!({"orderLines": [line(1), line(max), returned], "bottomLine": {}});
        assert_eq!(
            paths(&receipt(&body)),
            vec![
                "orderLines[1].totalAmount",
                "orderLines[1].totalAmountExcludingTax"
            ]
        );
        let report = receipt(&body);
        let message = &report.errors().next().map(|p| p.message.clone());
        assert!(
            message
                .as_deref()
                .is_some_and(|m| m.contains("does not fit")),
            "{message:?}"
        );

        let body = json!({
            "orderLines": [
                {"totalAmount": max, "totalAmountExcludingTax": max, "totalTaxAmount": 0, "discount": max},
                {"totalAmount": 0, "totalAmountExcludingTax": 0, "totalTaxAmount": 0, "discount": 1}
            ],
            "bottomLine": {"tipAmount": 1, "paymentSources": {"giftCard": max, "cash": max}}
        });
        assert_eq!(
            paths(&receipt(&body)),
            vec![
                "bottomLine.tipAmount",
                "orderLines[1].discount",
                "bottomLine.paymentSources.cash"
            ]
        );

        // Sums that fit are fine.
        let body = json!({"orderLines": [line(max - 1), line(1)], "bottomLine": {"tipAmount": 0}});
        assert!(receipt(&body).is_empty(), "{:?}", receipt(&body));
    }

    #[test]
    fn v3_payment_type_is_the_exact_enum() {
        for ok in ["ECOM", "RECURRING"] {
            assert!(add_category(&json!({"paymentType": ok})).is_empty());
        }
        for bad in ["ecom", "ePayment", "Recurring"] {
            assert_eq!(
                paths(&add_category(&json!({"paymentType": bad}))),
                vec!["paymentType"]
            );
        }
    }
}
