//! Reading request bodies written by people (JSON files, CLI input) with
//! field paths in every error.
//!
//! [`receipt_from_json`] reads each order line and the bottom line on its
//! own, so a file with mistakes in several lines reports each of them (the
//! first mistake *per line* for shape errors such as a missing field or a
//! string where a number belongs), then runs every [`Validate`] rule on a
//! receipt that parsed.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::models::{BottomLine, OrderLine, Receipt};
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
        return format!(
            "wrong kind of value ({rest}); amounts are whole numbers of øre/cents, e.g. 1000 for 10.00"
        );
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
    fn broken_json_says_where() {
        let report = receipt_from_json(b"{\"orderLines\": [").unwrap_err();
        assert!(report.problems()[0].message.contains("line 1"), "{report}");
    }
}
