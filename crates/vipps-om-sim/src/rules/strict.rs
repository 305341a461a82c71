//! Rules the docs do not say production enforces: the client library's
//! rules (as ARCHITECTURE.md's "Chosen behaviours" and the library's docs
//! describe them, written again here) and the ambiguous readings. Each
//! finding is a [`Rule`]: a warning in default mode, refused in strict
//! mode. They read the raw JSON and skip values of the wrong type, and a
//! line's arithmetic when the schema refused one of its amounts (the
//! schema names those); run them after the schema check.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::{Findings, Rule};

/// The largest sum of amounts a receipt can be shown with: `int64` minor
/// units.
pub(crate) const MAX_SUM: u64 = i64::MAX.unsigned_abs();
/// Tax may differ from `totalAmountExcludingTax × rate` by one minor unit
/// per whole unit of quantity (shops that round per item), at least one
/// and at most this many.
pub(crate) const MAX_TAX_TOLERANCE: i128 = 100;

/// The rules of a receipt body.
pub(crate) fn receipt(body: &Map<String, Value>, findings: &mut Findings) {
    let lines = body
        .get("orderLines")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    // One buffer for every line's path (`orderLines[i]`).
    let mut path = String::with_capacity(24);
    for (i, line) in lines.iter().enumerate() {
        if let Some(line) = line.as_object() {
            path.clear();
            let _ = write!(path, "orderLines[{i}]");
            order_line(line, &path, findings);
        }
    }
    let bottom = body.get("bottomLine").and_then(Value::as_object);
    sums(lines, bottom, findings);
    if let Some(bottom) = bottom {
        if let Some(sources) = bottom.get("paymentSources").and_then(Value::as_object) {
            for name in ["giftCard", "card", "voucher", "cash"] {
                if let Some(amount) = sources.get(name).and_then(Value::as_i64).filter(|a| *a < 0) {
                    findings.doubt(
                        Rule::NegativePaymentSource,
                        format!("bottomLine.paymentSources.{name}"),
                        format!("The field {name} must be between 0 and {}; it is {amount} (payment sources are amounts paid).", i64::MAX),
                    );
                }
            }
        }
        if let Some(barcode) = bottom.get("barcode").and_then(Value::as_object) {
            self::barcode(barcode, findings);
        }
    }
}

fn int(line: &Map<String, Value>, field: &str) -> Option<i64> {
    line.get(field).and_then(Value::as_i64)
}

fn order_line(line: &Map<String, Value>, path: &str, findings: &mut Findings) {
    for field in ["name", "id"] {
        if let Some(text) = line.get(field).and_then(Value::as_str)
            && text.trim().is_empty()
        {
            findings.doubt(
                Rule::EmptyText,
                format!("{path}.{field}"),
                format!("The field {field} must not be empty or blank (customers would see a blank line)."),
            );
        }
    }
    // Arithmetic on an amount the schema refused (say, a negative one)
    // would only repeat that problem.
    // (Paths are only built when something was refused at all.)
    let amounts_refused = findings.is_refused()
        && [
            "totalAmount",
            "totalAmountExcludingTax",
            "totalTaxAmount",
            "taxRate",
            "taxPercentage",
        ]
        .iter()
        .any(|field| findings.names(&format!("{path}.{field}")));
    if !amounts_refused {
        line_amounts(line, path, findings);
    }
    if let Some(url) = line.get("productUrl").and_then(Value::as_str)
        && !is_https_link(url)
    {
        link(url, &format!("{path}.productUrl"), true, findings);
    }
    if let Some(info) = line.get("unitInfo").and_then(Value::as_object)
        && let (Some(price), Some(quantity)) = (
            info.get("unitPrice").and_then(Value::as_i64),
            info.get("quantity").and_then(Value::as_str),
        )
        && let Some((scaled, decimals)) = quantity_parts(quantity)
    {
        let gross = i128::from(price) * i128::from(scaled) / 10_i128.pow(decimals);
        if gross > i128::from(i64::MAX) {
            findings.doubt(
                Rule::SumTooLarge,
                format!("{path}.unitInfo.unitPrice"),
                format!("The field unitPrice times quantity ({price} × {quantity}) must fit in an int64 amount of minor units (at most {MAX_SUM})."),
            );
        }
    }
}

/// Line arithmetic and the tax fields.
fn line_amounts(line: &Map<String, Value>, path: &str, findings: &mut Findings) {
    let total = int(line, "totalAmount");
    let excl = int(line, "totalAmountExcludingTax");
    let tax = int(line, "totalTaxAmount");
    if let (Some(total), Some(excl), Some(tax)) = (total, excl, tax)
        && i128::from(excl) + i128::from(tax) != i128::from(total)
    {
        findings.doubt(
            Rule::LineArithmetic,
            format!("{path}.totalAmount"),
            format!(
                "The field totalAmount must equal totalAmountExcludingTax + totalTaxAmount ({excl} + {tax} = {}); it is {total}.",
                i128::from(excl) + i128::from(tax)
            ),
        );
    }
    let rate = int(line, "taxRate");
    let percentage = int(line, "taxPercentage");
    let rate_set = line.get("taxRate").is_some_and(|v| !v.is_null());
    let percentage_set = line.get("taxPercentage").is_some_and(|v| !v.is_null());
    if rate_set && percentage_set {
        findings.doubt(
            Rule::BothTaxFields,
            format!("{path}.taxPercentage"),
            "Only one of taxRate and taxPercentage may be set; send taxRate (taxPercentage is deprecated).",
        );
    } else if !rate_set && !percentage_set {
        let all_zero = [total, excl, tax].iter().all(|a| *a == Some(0));
        if !all_zero {
            findings.doubt(
                Rule::TaxRateMissing,
                format!("{path}.taxRate"),
                "The field taxRate is required when taxPercentage is not set (either must be set on a line with amounts), e.g. 2500 for 25 %.",
            );
        }
    }
    // The rate in hundredths of a percent, when in range.
    let basis = match (rate, percentage) {
        (Some(rate), _) if (0..=10_000).contains(&rate) => Some(rate),
        (None, Some(pct)) if !rate_set && (0..=100).contains(&pct) => Some(pct * 100),
        _ => None,
    };
    if let (Some(basis), Some(excl), Some(tax)) = (basis, excl, tax) {
        let expected = div_round_half_away(i128::from(excl) * i128::from(basis), 10_000);
        let tolerance = tax_tolerance(line);
        if (i128::from(tax) - expected).abs() > tolerance {
            findings.doubt(
                Rule::TaxMatchesRate,
                format!("{path}.totalTaxAmount"),
                format!(
                    "The field totalTaxAmount must match the tax rate: {basis}/10000 of totalAmountExcludingTax {excl} is {expected} (±{tolerance} for rounding); it is {tax}."
                ),
            );
        }
    }
}

/// `"2.50"` → (250, 2); `None` when not a quantity of the spec's pattern.
fn quantity_parts(quantity: &str) -> Option<(u64, u32)> {
    if !super::schema::Pattern::Quantity.matches(quantity) || quantity.len() > 10 {
        return None;
    }
    let (whole, fraction) = quantity.split_once('.').unwrap_or((quantity, ""));
    // The digits of both parts as one number (at most 10 digits: fits).
    let scaled = whole
        .bytes()
        .chain(fraction.bytes())
        .try_fold(0_u64, |acc, digit| {
            acc.checked_mul(10)?
                .checked_add(u64::from(digit.checked_sub(b'0')?))
        })?;
    Some((scaled, u32::try_from(fraction.len()).ok()?))
}

/// One minor unit per whole unit of quantity, 1 to [`MAX_TAX_TOLERANCE`].
fn tax_tolerance(line: &Map<String, Value>) -> i128 {
    let units = line
        .get("unitInfo")
        .and_then(|u| u.get("quantity"))
        .and_then(Value::as_str)
        .and_then(quantity_parts)
        .map(|(scaled, decimals)| {
            let unit = 10_u64.pow(decimals);
            i128::from(scaled.div_ceil(unit))
        })
        .unwrap_or(1);
    units.clamp(1, MAX_TAX_TOLERANCE)
}

/// `numerator / denominator` rounded half away from zero.
fn div_round_half_away(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if remainder.abs() * 2 >= denominator {
        quotient + numerator.signum()
    } else {
        quotient
    }
}

/// Every sum a receipt is shown with must fit in `int64`: each of the
/// lines' amounts added as magnitudes (so any group of lines fits too),
/// the total with the tip, the payment sources. The field where the
/// running sum stops fitting is named.
fn sums(lines: &[Value], bottom: Option<&Map<String, Value>>, findings: &mut Findings) {
    let add = |sum: &mut u64, value: Option<&Value>| -> bool {
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
    };
    let too_large = |what: &str| {
        format!("{what} must fit in an int64 amount of minor units (at most {MAX_SUM}).")
    };
    for field in [
        "totalAmount",
        "totalAmountExcludingTax",
        "totalTaxAmount",
        "discount",
    ] {
        let mut sum = 0;
        if let Some(i) = lines.iter().position(|l| !add(&mut sum, l.get(field))) {
            findings.doubt(
                Rule::SumTooLarge,
                format!("orderLines[{i}].{field}"),
                too_large(&format!("The sum of the order lines' {field}")),
            );
        } else if field == "totalAmount" && !add(&mut sum, bottom.and_then(|b| b.get("tipAmount")))
        {
            findings.doubt(
                Rule::SumTooLarge,
                "bottomLine.tipAmount",
                too_large("The order lines' total with the tip"),
            );
        }
    }
    if let Some(sources) = bottom
        .and_then(|b| b.get("paymentSources"))
        .and_then(Value::as_object)
    {
        let mut sum = 0;
        if let Some(name) = ["giftCard", "card", "voucher", "cash"]
            .into_iter()
            .find(|name| !add(&mut sum, sources.get(*name)))
        {
            findings.doubt(
                Rule::SumTooLarge,
                format!("bottomLine.paymentSources.{name}"),
                too_large("The sum of the payment sources"),
            );
        }
    }
}

fn barcode(barcode: &Map<String, Value>, findings: &mut Findings) {
    let path = "bottomLine.barcode.data";
    let Some(format) = barcode.get("format").and_then(Value::as_str) else {
        return;
    };
    let data = match barcode.get("data") {
        Some(Value::String(data)) => data.as_str(),
        Some(Value::Null) => "",
        _ => return,
    };
    if data.is_empty() {
        findings.doubt(
            Rule::BarcodeData,
            path,
            "The field data must not be empty; give the value the barcode encodes, or leave the barcode out.",
        );
        return;
    }
    match format {
        "EAN-13" if !data.bytes().all(|b| b.is_ascii_digit()) => findings.doubt(
            Rule::BarcodeData,
            path,
            "The field data must hold digits only for an EAN-13 barcode.",
        ),
        "EAN-13" if !ean13_ok(data) => findings.doubt(
            Rule::Ean13CheckDigit,
            path,
            "The field data must be 13 digits with a valid check digit for an EAN-13 barcode.",
        ),
        "CODE 39"
            if !data
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || " -.$/+%".contains(c)) =>
        {
            findings.doubt(
                Rule::BarcodeData,
                path,
                "The field data must hold only A-Z, 0-9, space and - . $ / + % for a CODE 39 barcode.",
            );
        }
        "CODE 128" if !data.chars().all(|c| (' '..='~').contains(&c)) => findings.doubt(
            Rule::BarcodeData,
            path,
            "The field data must hold only printable ASCII characters for a CODE 128 barcode.",
        ),
        _ => {}
    }
}

/// 13 digits, the last the GS1 check digit of the first 12.
fn ean13_ok(data: &str) -> bool {
    let digits: Vec<u32> = data.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 13 || data.len() != 13 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .take(12)
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    (10 - sum % 10) % 10 == digits[12]
}

/// A link: `http` and other schemes are doubted (the docs never say
/// `https` only); a relative one is doubted when `relative_doubted` (the
/// schema already refuses it for `format: uri` fields).
/// An absolute `https` URL with a host: a link [`link`] finds nothing
/// wrong with (checked first so that a good link needs no path built).
fn is_https_link(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|url| url.scheme() == "https" && url.has_host())
}

pub(crate) fn link(text: &str, path: &str, relative_doubted: bool, findings: &mut Findings) {
    let name = super::leaf(path);
    match url::Url::parse(text) {
        Ok(url) if url.scheme() == "https" && url.has_host() => {}
        Ok(url) => findings.doubt(
            Rule::HttpsLink,
            path,
            format!(
                "The field {name} must be an https URL (the app opens it in the phone's browser); it uses {}.",
                url.scheme()
            ),
        ),
        Err(_) if relative_doubted => findings.doubt(
            Rule::AbsoluteUrl,
            path,
            format!("The field {name} must be an absolute URL, e.g. https://shop.example/products/1."),
        ),
        Err(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::rules::Mode;

    fn strict(body: Value) -> Vec<(String, Option<Rule>)> {
        let mut findings = Findings::new(Mode::Strict);
        receipt(body.as_object().unwrap(), &mut findings);
        findings
            .take_problems()
            .into_iter()
            .map(|p| (p.name, p.rule))
            .collect()
    }

    fn line(total: i64, excl: i64, tax: i64) -> Value {
        json!({"name": "a", "id": "1", "totalAmount": total,
               "totalAmountExcludingTax": excl, "totalTaxAmount": tax, "taxRate": 2500})
    }

    #[test]
    fn client_rules_are_found_on_raw_json() {
        let mut both = line(1000, 800, 200);
        both["taxPercentage"] = json!(25);
        let mut neither = line(1000, 800, 200);
        neither["taxRate"] = Value::Null;
        let mut blank = line(0, 0, 0);
        blank["name"] = json!(" ");
        blank["productUrl"] = json!("/socks");
        let found = strict(json!({
            "orderLines": [line(1000, 800, 100), both, neither, blank],
            "bottomLine": {"currency": "NOK", "paymentSources": {"card": -1},
                           "barcode": {"format": "EAN-13", "data": "123456"}}
        }));
        assert_eq!(
            found,
            vec![
                (
                    "orderLines[0].totalAmount".to_owned(),
                    Some(Rule::LineArithmetic)
                ),
                (
                    "orderLines[0].totalTaxAmount".to_owned(),
                    Some(Rule::TaxMatchesRate)
                ),
                (
                    "orderLines[1].taxPercentage".to_owned(),
                    Some(Rule::BothTaxFields)
                ),
                (
                    "orderLines[2].taxRate".to_owned(),
                    Some(Rule::TaxRateMissing)
                ),
                ("orderLines[3].name".to_owned(), Some(Rule::EmptyText)),
                (
                    "orderLines[3].productUrl".to_owned(),
                    Some(Rule::AbsoluteUrl)
                ),
                (
                    "bottomLine.paymentSources.card".to_owned(),
                    Some(Rule::NegativePaymentSource)
                ),
                (
                    "bottomLine.barcode.data".to_owned(),
                    Some(Rule::Ean13CheckDigit)
                ),
            ]
        );
    }

    #[test]
    fn tax_tolerance_grows_with_quantity() {
        // 25 % of 799 is 199.75 → 200; 203 is off by 3: fine for 3 items.
        let mut three = line(1002, 799, 203);
        three["unitInfo"] = json!({"unitPrice": 334, "quantity": "3"});
        assert!(strict(json!({"orderLines": [three], "bottomLine": {}})).is_empty());
        let one = line(1002, 799, 203);
        assert_eq!(
            strict(json!({"orderLines": [one], "bottomLine": {}})),
            vec![(
                "orderLines[0].totalTaxAmount".to_owned(),
                Some(Rule::TaxMatchesRate)
            )]
        );
    }

    #[test]
    fn ean13_check_digits() {
        assert!(ean13_ok("4006381333931"));
        assert!(!ean13_ok("4006381333932"));
        assert!(!ean13_ok("123456"));
    }

    #[test]
    fn sums_beyond_int64_are_named_where_they_stop_fitting() {
        let max = i64::MAX;
        let found = strict(json!({
            "orderLines": [line(max, max, 0), line(1, 1, 0)],
            "bottomLine": {"tipAmount": 0}
        }));
        let names: Vec<&str> = found
            .iter()
            .filter(|(_, r)| *r == Some(Rule::SumTooLarge))
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "orderLines[1].totalAmount",
                "orderLines[1].totalAmountExcludingTax"
            ]
        );
    }

    #[test]
    fn links_are_doubted_when_not_https() {
        let mut findings = Findings::new(Mode::Default);
        link("http://shop.example", "url", false, &mut findings);
        link("/relative", "url", false, &mut findings);
        link("https://shop.example", "url", false, &mut findings);
        assert_eq!(findings.take_warnings().len(), 1);
    }
}
