//! Local validation: every rule of the spec plus the arithmetic customers
//! rely on, checked before a request leaves the machine.
//!
//! A check never stops at the first problem: it returns a
//! [`ValidationReport`] with **every** problem, each with the JSON path of
//! the field (`orderLines[2].unitInfo.quantity`) and a sentence merchant
//! staff understand. [`Severity::Error`] blocks sending;
//! [`Severity::Warning`] is shown but sent anyway.
//!
//! Rules we chose where the API documentation is silent (see
//! ARCHITECTURE.md, "Chosen behaviours"):
//! - Tax must match the rate within [`tax_tolerance`] minor units: one unit,
//!   or one per whole unit of quantity (for shops that round per item),
//!   at most 100.
//! - Amounts are never negative, not even on returns: a return is a line
//!   with positive amounts and `isReturn: true` (negative amounts were
//!   forbidden by the API in August 2022).
//! - A line without `taxRate` and `taxPercentage` is an error, except when
//!   all its amounts are 0 (the official examples send zero shipping lines
//!   that way): then it is a warning.
//! - Unit price × quantity − discount differing from the line total is a
//!   warning, because the spec calls quantity cosmetic.
//! - URLs must be absolute; anything but `https` is a warning.
//! - EAN-13 data must be digits (error) and should be 13 with a correct
//!   check digit (warning: the spec's own example has 6 digits).
//! - Every sum a receipt is shown with must fit in an amount (`i64` minor
//!   units, [`MAX_SUM`]): the lines' `totalAmount`, `totalAmountExcludingTax`,
//!   `totalTaxAmount` and `discount` each added up as magnitudes (returns
//!   too, so every sum of some of the lines fits as well: per tax rate,
//!   items, returns), the total with `tipAmount`, the `paymentSources`, and
//!   `unitPrice × quantity`. The error names the field where the running
//!   sum stops fitting. Money is only ever added with checked arithmetic.

use std::fmt;

use serde::Serialize;

use crate::enums::{
    BarcodeFormat, CategoryType, Currency, ImageEncoding, PaymentType, QuantityUnit,
};
use crate::image::{ImageFacts, ImageFormat};
use crate::models::{
    AddCategoryRequest, Barcode, BottomLine, Category, Image, OrderLine, Receipt, UnitInfo,
};
use crate::money::{Amount, MAX_TAX_RATE_BASIS, div_round_half_away};

/// The largest sum of amounts a receipt may need: what fits in the API's
/// `int64` minor units, 92 233 720 368 547 758,07 in major units. No real
/// receipt comes near it; beyond it totals cannot be shown.
pub const MAX_SUM: Amount = Amount::minor(i64::MAX);

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Sending would be rejected or show customers something wrong.
    Error,
    /// Allowed, but probably not what was meant.
    Warning,
}

/// One problem found by validation.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// JSON path of the field, e.g. `orderLines[0].totalTaxAmount`; empty for
    /// the whole document.
    pub path: String,
    /// What is wrong and what to do, in plain language.
    pub message: String,
    /// Whether it blocks sending.
    pub severity: Severity,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if self.path.is_empty() {
            write!(f, "{label}: {}", self.message)
        } else {
            write!(f, "{label}: {}: {}", self.path, self.message)
        }
    }
}

/// Every problem found in one document.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ValidationReport {
    problems: Vec<Problem>,
}

impl ValidationReport {
    /// An empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an error at `path`.
    pub fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.push(path.into(), message.into(), Severity::Error);
    }

    /// Adds a warning at `path`.
    pub fn warning(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.push(path.into(), message.into(), Severity::Warning);
    }

    fn push(&mut self, path: String, message: String, severity: Severity) {
        self.problems.push(Problem {
            path,
            message,
            severity,
        });
    }

    /// Appends one problem.
    pub(crate) fn push_problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// Orders the problems as the document reads: the whole document,
    /// `orderLines`, each order line in turn, then `bottomLine` (and
    /// anything else); problems of one part keep their order.
    pub(crate) fn sort_by_line(&mut self) {
        self.problems.sort_by_key(|p| section(&p.path));
    }

    /// Appends all problems of `other`.
    pub fn merge(&mut self, other: ValidationReport) {
        self.problems.extend(other.problems);
    }

    /// All problems, in document order.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The problems that block sending.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }

    /// The problems that do not block sending.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }

    /// Whether anything blocks sending.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// Whether no problem at all was found.
    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    /// `Ok(warnings)` when nothing blocks sending, otherwise `Err(self)`.
    pub fn into_result(self) -> Result<ValidationReport, ValidationReport> {
        if self.has_errors() {
            Err(self)
        } else {
            Ok(self)
        }
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.errors().count();
        let warnings = self.problems.len() - errors;
        write!(f, "{errors} error(s), {warnings} warning(s)")?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// Where a path sorts in [`ValidationReport::sort_by_line`].
fn section(path: &str) -> (u8, usize) {
    if path.is_empty() {
        return (0, 0);
    }
    if let Some(rest) = path.strip_prefix("orderLines") {
        let line = rest
            .strip_prefix('[')
            .and_then(|r| r.split(']').next())
            .and_then(|i| i.parse::<usize>().ok());
        return match line {
            Some(i) => (2, i),
            None => (1, 0),
        };
    }
    (3, 0)
}

/// Something that can be checked before it is sent.
pub trait Validate {
    /// Every problem, with field paths relative to the request body.
    fn validate(&self) -> ValidationReport;
}

// ---------------------------------------------------------------- receipt

impl Validate for Receipt {
    fn validate(&self) -> ValidationReport {
        let mut report = ValidationReport::new();
        if self.order_lines.is_empty() {
            report.error(
                "orderLines",
                "the receipt has no order lines; add at least one line",
            );
        }
        for (i, line) in self.order_lines.iter().enumerate() {
            validate_line(line, &format!("orderLines[{i}]"), &mut report);
        }
        check_sums(self, &mut report);
        validate_bottom_line(&self.bottom_line, self.total(), &mut report);
        report
    }
}

impl Receipt {
    /// The total the customer sees: every line's `totalAmount`, returns
    /// counted negative (tip not included); `None` when the sum does not
    /// fit in an amount (validation refuses such a receipt).
    pub fn total(&self) -> Option<Amount> {
        self.order_lines.iter().try_fold(Amount::ZERO, |sum, line| {
            sum.checked_add(line.signed_total()?)
        })
    }

    /// What the customer paid: [`Receipt::total`] plus the tip; `None` when
    /// it does not fit in an amount.
    pub fn amount_paid(&self) -> Option<Amount> {
        self.total()?
            .checked_add(self.bottom_line.tip_amount.unwrap_or_default())
    }

    /// Checks that the receipt adds up to the amount of the payment it
    /// belongs to: lines (returns negative) plus tip must equal `payment`.
    pub fn check_against_payment(&self, payment: Amount) -> ValidationReport {
        let mut report = ValidationReport::new();
        let Some(total) = self.amount_paid() else {
            report.error(
                "orderLines",
                format!(
                    "the lines and tip add up to more than an amount can hold ({}), so they cannot match the payment of {}",
                    MAX_SUM.display(&self.bottom_line.currency),
                    payment.display(&self.bottom_line.currency)
                ),
            );
            return report;
        };
        if total != payment {
            report.error(
                "orderLines",
                format!(
                    "the lines add up to {} (tip included) but the payment is {}; the customer would see a receipt that does not match what they paid",
                    total.display(&self.bottom_line.currency),
                    payment.display(&self.bottom_line.currency)
                ),
            );
        }
        report
    }
}

/// A running sum of magnitudes (|amount|) that reports when it leaves the
/// range of an amount.
#[derive(Default)]
struct MagnitudeSum(u64);

impl MagnitudeSum {
    /// Adds `|amount|`; `false` when the sum no longer fits in an amount.
    fn add(&mut self, amount: Amount) -> bool {
        match self.0.checked_add(amount.minor_units().unsigned_abs()) {
            Some(sum) if sum <= MAX_SUM.minor_units().unsigned_abs() => {
                self.0 = sum;
                true
            }
            _ => false,
        }
    }
}

fn sum_too_large(what: &str, currency: &Currency) -> String {
    format!(
        "{what} does not fit in an amount (at most {}), so the receipt's totals cannot be shown; no receipt holds that much: check that the amounts are in minor units (øre, cents)",
        MAX_SUM.display(currency)
    )
}

/// See the module docs: every sum shown for a receipt must fit.
fn check_sums(receipt: &Receipt, report: &mut ValidationReport) {
    type Field = fn(&OrderLine) -> Option<Amount>;
    let currency = &receipt.bottom_line.currency;
    let fields: [(&str, Field); 4] = [
        ("totalAmount", |l| Some(l.total_amount)),
        ("totalAmountExcludingTax", |l| {
            Some(l.total_amount_excluding_tax)
        }),
        ("totalTaxAmount", |l| Some(l.total_tax_amount)),
        ("discount", |l| l.discount),
    ];
    for (field, amount_of) in fields {
        let mut sum = MagnitudeSum::default();
        let overflow = receipt
            .order_lines
            .iter()
            .enumerate()
            .find(|(_, line)| amount_of(line).is_some_and(|a| !sum.add(a)));
        if let Some((i, _)) = overflow {
            report.error(
                format!("orderLines[{i}].{field}"),
                sum_too_large(&format!("the sum of the lines' {field}"), currency),
            );
        } else if field == "totalAmount"
            && let Some(tip) = receipt.bottom_line.tip_amount
            && !sum.add(tip)
        {
            report.error(
                "bottomLine.tipAmount",
                sum_too_large("the total of the lines with the tip", currency),
            );
        }
    }
    if let Some(sources) = &receipt.bottom_line.payment_sources {
        let mut sum = MagnitudeSum::default();
        if let Some((name, _)) = sources.entries().find(|(_, a)| !sum.add(*a)) {
            report.error(
                format!("bottomLine.paymentSources.{name}"),
                sum_too_large("the sum of the payment sources", currency),
            );
        }
    }
}

fn validate_line(line: &OrderLine, path: &str, report: &mut ValidationReport) {
    if line.name.trim().is_empty() {
        report.error(
            format!("{path}.name"),
            "the product name is empty; customers would see a blank line",
        );
    }
    if line.id.trim().is_empty() {
        report.error(
            format!("{path}.id"),
            "the product id is empty; give the shop's product or line id",
        );
    }

    let amounts = [
        ("totalAmount", line.total_amount),
        ("totalAmountExcludingTax", line.total_amount_excluding_tax),
        ("totalTaxAmount", line.total_tax_amount),
        ("discount", line.discount.unwrap_or_default()),
    ];
    for (field, amount) in amounts {
        if amount.is_negative() {
            report.error(
                format!("{path}.{field}"),
                format!(
                    "{} is negative; amounts are never negative (for a returned item send positive amounts and set isReturn to true)",
                    amount.minor_units()
                ),
            );
        }
    }

    let computed = line
        .total_amount_excluding_tax
        .checked_add(line.total_tax_amount);
    if computed.is_none() {
        report.error(
            format!("{path}.totalAmount"),
            format!(
                "totalAmountExcludingTax {} + totalTaxAmount {} does not fit in an amount; no receipt line holds that much: check that the amounts are in minor units (øre, cents)",
                line.total_amount_excluding_tax.minor_units(),
                line.total_tax_amount.minor_units(),
            ),
        );
    } else if let Some(computed) = computed.filter(|c| *c != line.total_amount) {
        report.error(
            format!("{path}.totalAmount"),
            format!(
                "totalAmount {} is not totalAmountExcludingTax {} + totalTaxAmount {} (= {}); the customer would see a line that does not add up",
                line.total_amount.minor_units(),
                line.total_amount_excluding_tax.minor_units(),
                line.total_tax_amount.minor_units(),
                computed.minor_units()
            ),
        );
    }

    validate_tax(line, path, report);

    if let Some(unit_info) = &line.unit_info {
        validate_unit_info(unit_info, line, &format!("{path}.unitInfo"), report);
    }
    if let Some(url) = &line.product_url {
        check_url(url, &format!("{path}.productUrl"), report);
    }
}

fn validate_tax(line: &OrderLine, path: &str, report: &mut ValidationReport) {
    match (line.tax_rate, line.tax_percentage) {
        (Some(_), Some(_)) => report.error(
            format!("{path}.taxPercentage"),
            "both taxRate and taxPercentage are set; send only taxRate (taxPercentage is deprecated)",
        ),
        (None, None) => {
            let all_zero = line.total_amount == Amount::ZERO
                && line.total_amount_excluding_tax == Amount::ZERO
                && line.total_tax_amount == Amount::ZERO;
            let message = "neither taxRate nor taxPercentage is set; set taxRate, e.g. 2500 for 25 %";
            if all_zero {
                report.warning(format!("{path}.taxRate"), message);
            } else {
                report.error(format!("{path}.taxRate"), message);
            }
        }
        (Some(rate), None) if !(0..=i64::from(MAX_TAX_RATE_BASIS)).contains(&rate) => report.error(
            format!("{path}.taxRate"),
            format!("taxRate {rate} is out of range; it is in hundredths of a percent, from 0 to {MAX_TAX_RATE_BASIS} (2500 = 25 %)"),
        ),
        (None, Some(pct)) if !(0..=100).contains(&pct) => report.error(
            format!("{path}.taxPercentage"),
            format!("taxPercentage {pct} is out of range; use 0 to 100, or better taxRate (2500 = 25 %)"),
        ),
        (None, Some(pct)) => report.warning(
            format!("{path}.taxPercentage"),
            format!("taxPercentage is deprecated; send taxRate {} instead", pct * 100),
        ),
        (Some(_), None) => {}
    }

    let Some(rate) = line.effective_tax_rate() else {
        return;
    };
    let excl = i128::from(line.total_amount_excluding_tax.minor_units());
    let tax = i128::from(line.total_tax_amount.minor_units());
    let expected = div_round_half_away(excl * i128::from(rate.basis()), 10_000);
    let tolerance = i128::from(tax_tolerance(line));
    // A taxRate written in whole percent (25 for 25 %) is 0,25 %: no real
    // tax rate is below 1 %, so such a rate is almost surely that mistake.
    let in_percent = line
        .tax_rate
        .filter(|r| (1..PERCENT_MISTAKE_BELOW).contains(r));
    if (tax - expected).abs() > tolerance {
        if let Some(written) = in_percent {
            let meant = div_round_half_away(excl * i128::from(written) * 100, 10_000);
            if (tax - meant).abs() <= tolerance {
                report.error(
                    format!("{path}.taxRate"),
                    format!(
                        "taxRate {written} means {rate}, but totalTaxAmount is {written} % of totalAmountExcludingTax: taxRate is in hundredths of a percent, write {} for {written} %",
                        written * 100
                    ),
                );
                return;
            }
        }
        let unit_hint = match in_percent {
            Some(written) => format!(
                " (taxRate is in hundredths of a percent: {written} is {rate}, {} is {written} %)",
                written * 100
            ),
            None => String::new(),
        };
        report.error(
            format!("{path}.totalTaxAmount"),
            format!(
                "totalTaxAmount {tax} does not match {rate} of totalAmountExcludingTax {excl} (expected {expected}, ±{tolerance} for rounding); check the tax rate or the amounts{unit_hint}"
            ),
        );
    } else if let Some(written) = in_percent {
        report.warning(
            format!("{path}.taxRate"),
            format!(
                "taxRate {written} is {rate}; taxRate is in hundredths of a percent, so if {written} % was meant, write {}",
                written * 100
            ),
        );
    }
}

/// A `taxRate` from 1 up to (not including) this, in hundredths of a
/// percent (below 1 %), is taken as a rate written in whole percent by
/// mistake (`25` for 25 %): no VAT rate in Norway, Denmark or Finland is
/// below 1 %.
const PERCENT_MISTAKE_BELOW: i64 = 100;

/// How far (in minor units) a line's tax may be from `excl × rate`: one unit
/// of rounding, or one per whole unit of quantity for shops that round tax
/// per item, capped at 100.
pub fn tax_tolerance(line: &OrderLine) -> i64 {
    let per_item = line
        .unit_info
        .as_ref()
        .and_then(|u| Quantity::parse(&u.quantity))
        .map(|q| q.ceil_units())
        .unwrap_or(1);
    per_item.clamp(1, 100)
}

fn validate_unit_info(
    info: &UnitInfo,
    line: &OrderLine,
    path: &str,
    report: &mut ValidationReport,
) {
    if let Some(price) = info.unit_price
        && price.is_negative()
    {
        report.error(
            format!("{path}.unitPrice"),
            format!(
                "unitPrice {} is negative; send the price per unit including tax",
                price.minor_units()
            ),
        );
    }
    let quantity = Quantity::parse(&info.quantity);
    if quantity.is_none() {
        report.error(
            format!("{path}.quantity"),
            format!(
                "{:?} is not a quantity; write digits with '.' as decimal mark, at most 8 decimals and 10 characters, e.g. \"2\" or \"0.822\"",
                info.quantity
            ),
        );
    }
    if let Some(unit @ QuantityUnit::Unknown(_)) = &info.quantity_unit {
        report.error(
            format!("{path}.quantityUnit"),
            format!(
                "{:?} is not a unit; use {}",
                unit.as_str(),
                QuantityUnit::expected()
            ),
        );
    }
    if let (Some(price), Some(quantity)) = (info.unit_price, quantity) {
        let discount = line.discount.unwrap_or_default();
        let Some(expected) = quantity
            .times(price)
            .and_then(|gross| gross.checked_sub(discount))
        else {
            report.error(
                format!("{path}.unitPrice"),
                format!(
                    "unitPrice {} × quantity {} does not fit in an amount; no receipt line holds that much: check that the price is in minor units (øre, cents)",
                    price.minor_units(),
                    info.quantity
                ),
            );
            return;
        };
        let difference =
            i128::from(expected.minor_units()) - i128::from(line.total_amount.minor_units());
        if difference.abs() > 1 {
            report.warning(
                format!("{path}.unitPrice"),
                format!(
                    "unitPrice {} × quantity {} − discount {} = {}, but totalAmount is {}; customers may wonder why the line does not add up",
                    price.minor_units(),
                    info.quantity,
                    line.discount.unwrap_or_default().minor_units(),
                    expected.minor_units(),
                    line.total_amount.minor_units()
                ),
            );
        }
    }
}

fn validate_bottom_line(bottom: &BottomLine, total: Option<Amount>, report: &mut ValidationReport) {
    let path = "bottomLine";
    if let Currency::Unknown(code) = &bottom.currency {
        let capitals = code.to_ascii_uppercase();
        let message = if Currency::KNOWN.iter().any(|c| c.as_str() == capitals) {
            format!("{code:?} must be written in capitals: \"{capitals}\"")
        } else {
            format!(
                "{code:?} is not a supported currency; use {}",
                Currency::expected()
            )
        };
        report.error(format!("{path}.currency"), message);
    }
    if let Some(tip) = bottom.tip_amount
        && tip.is_negative()
    {
        report.error(
            format!("{path}.tipAmount"),
            format!(
                "tipAmount {} is negative; send 0 or leave it out",
                tip.minor_units()
            ),
        );
    }
    if let Some(sources) = &bottom.payment_sources {
        for (name, amount) in sources.entries() {
            if amount.is_negative() {
                report.error(
                    format!("{path}.paymentSources.{name}"),
                    format!(
                        "{name} {} is negative; payment sources are amounts paid",
                        amount.minor_units()
                    ),
                );
            }
        }
        // Sums that do not fit are reported by `check_sums`.
        let paid = Amount::checked_sum(sources.entries().map(|(_, a)| a));
        let due = total.and_then(|t| t.checked_add(bottom.tip_amount.unwrap_or_default()));
        if let (Some(paid), Some(due)) = (paid, due)
            && sources.entries().next().is_some()
            && paid != due
        {
            report.warning(
                format!("{path}.paymentSources"),
                format!(
                    "the payment sources add up to {} but the receipt total with tip is {}",
                    paid.display(&bottom.currency),
                    due.display(&bottom.currency)
                ),
            );
        }
    }
    if let Some(barcode) = &bottom.barcode {
        validate_barcode(barcode, &format!("{path}.barcode"), report);
    }
    // The spec keeps `minimum: 0` on the deprecated amounts (totalAmount
    // excepted), so a negative one is still refused by the API.
    let shipping = bottom.shipping_info.as_ref();
    let deprecated_amounts = [
        ("giftCardAmount", bottom.gift_card_amount),
        ("totalTax", bottom.total_tax),
        ("totalDiscount", bottom.total_discount),
        ("shippingAmount", bottom.shipping_amount),
        ("shippingInfo.amount", shipping.and_then(|s| s.amount)),
        (
            "shippingInfo.amountExcludingTax",
            shipping.and_then(|s| s.amount_excluding_tax),
        ),
        (
            "shippingInfo.taxAmount",
            shipping.and_then(|s| s.tax_amount),
        ),
    ];
    for (field, amount) in deprecated_amounts {
        if let Some(amount) = amount.filter(|a| a.is_negative()) {
            report.error(
                format!("{path}.{field}"),
                format!("{field} {} is negative; the API refuses negative amounts here (better: leave this deprecated field out)", amount.minor_units()),
            );
        }
    }
    if let Some(pct) = shipping
        .and_then(|s| s.tax_percentage)
        .filter(|p| !(0..=100).contains(p))
    {
        report.error(
            format!("{path}.shippingInfo.taxPercentage"),
            format!("taxPercentage {pct} is out of range; use 0 to 100 (better: send shipping as an order line with isShipping)"),
        );
    }
    let ignored = [
        ("totalAmount", bottom.total_amount.is_some()),
        ("totalTax", bottom.total_tax.is_some()),
        ("totalDiscount", bottom.total_discount.is_some()),
    ];
    for (field, set) in ignored {
        if set {
            report.warning(
                format!("{path}.{field}"),
                format!(
                    "{field} is deprecated and ignored; Vipps computes it from the order lines"
                ),
            );
        }
    }
    if bottom.shipping_amount.is_some() || bottom.shipping_info.is_some() {
        let field = if bottom.shipping_amount.is_some() {
            "shippingAmount"
        } else {
            "shippingInfo"
        };
        report.warning(
            format!("{path}.{field}"),
            format!("{field} is deprecated and makes the sums and tax wrong; send shipping as an order line with isShipping set to true"),
        );
    }
    if bottom.gift_card_amount.is_some() {
        report.warning(
            format!("{path}.giftCardAmount"),
            "giftCardAmount is deprecated; use paymentSources.giftCard",
        );
    }
    if bottom.terminal_id.is_some() {
        report.warning(
            format!("{path}.terminalId"),
            "terminalId is deprecated; use posId",
        );
    }
    if let Some(total) = total.filter(|t| t.is_negative()) {
        report.warning(
            "orderLines",
            format!(
                "the receipt total is {}: returns exceed purchases",
                total.display(&bottom.currency)
            ),
        );
    }
}

fn validate_barcode(barcode: &Barcode, path: &str, report: &mut ValidationReport) {
    let data = barcode.data.as_deref().unwrap_or("");
    if data.is_empty() {
        report.error(
            format!("{path}.data"),
            "the barcode has no data; give the value to encode or leave the barcode out",
        );
        return;
    }
    match &barcode.format {
        BarcodeFormat::Ean13 => {
            if !data.bytes().all(|b| b.is_ascii_digit()) {
                report.error(
                    format!("{path}.data"),
                    format!("{data:?} cannot be an EAN-13 barcode; EAN-13 holds digits only"),
                );
            } else if data.len() != 13 || !ean13_check_digit_ok(data) {
                report.warning(
                    format!("{path}.data"),
                    format!("{data:?} is not a valid EAN-13 (13 digits, the last a check digit); scanners may not read it"),
                );
            }
        }
        BarcodeFormat::Code39 => {
            if let Some(bad) = data
                .chars()
                .find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || " -.$/+%".contains(*c)))
            {
                report.error(
                    format!("{path}.data"),
                    format!("{bad:?} cannot be written in CODE 39; use A-Z (capitals), 0-9, space and - . $ / + %"),
                );
            }
        }
        BarcodeFormat::Code128 => {
            if let Some(bad) = data.chars().find(|c| !(' '..='~').contains(c)) {
                report.error(
                    format!("{path}.data"),
                    format!(
                        "{bad:?} cannot be written in CODE 128; use printable ASCII characters"
                    ),
                );
            }
        }
        BarcodeFormat::Unknown(format) => report.error(
            format!("{path}.format"),
            format!(
                "{format:?} is not a barcode format the app can show; use {}",
                BarcodeFormat::expected()
            ),
        ),
    }
}

fn ean13_check_digit_ok(data: &str) -> bool {
    let digits: Vec<u32> = data.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 13 {
        return false;
    }
    let sum: u32 = digits[..12]
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    (10 - sum % 10) % 10 == digits[12]
}

// ---------------------------------------------------------------- quantity

/// A quantity as the API writes it (`"2"`, `"0.822"`): digits, optionally
/// `.` and 1–8 decimals, at most 10 characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    /// The digits without the decimal mark: `"2.50"` → 250.
    scaled: u64,
    /// Number of decimals: `"2.50"` → 2.
    decimals: u32,
}

impl Quantity {
    /// Parses the wire format; `None` when it breaks the spec's pattern
    /// `^\d+([\.]\d{1,8})?$` or `maxLength: 10`.
    pub fn parse(s: &str) -> Option<Quantity> {
        if s.is_empty() || s.len() > 10 {
            return None;
        }
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s, ""),
        };
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !digits(whole)
            || !digits(frac)
            || frac.len() > 8
            || (s.contains('.') && frac.is_empty())
        {
            return None;
        }
        let scaled = format!("{whole}{frac}").parse().ok()?;
        Some(Quantity {
            scaled,
            decimals: u32::try_from(frac.len()).ok()?,
        })
    }

    /// `price × quantity`, rounded half away from zero to a minor unit;
    /// `None` when it does not fit in an amount.
    pub fn times(self, price: Amount) -> Option<Amount> {
        // At most 10 digits and 8 decimals: the product of an i64 and a
        // value below 10^10 fits in an i128.
        let product = i128::from(price.minor_units()).checked_mul(i128::from(self.scaled))?;
        let rounded = div_round_half_away(product, 10_i128.checked_pow(self.decimals)?);
        i64::try_from(rounded).ok().map(Amount::minor)
    }

    /// The quantity rounded up to whole units (`"2.5"` → 3).
    pub fn ceil_units(self) -> i64 {
        let unit = 10_u64.pow(self.decimals);
        i64::try_from(self.scaled.div_ceil(unit)).unwrap_or(i64::MAX)
    }
}

// ---------------------------------------------------------------- categories

impl Validate for Category {
    fn validate(&self) -> ValidationReport {
        let mut report = ValidationReport::new();
        check_category_type(&self.category, "category", &mut report);
        check_url(&self.order_details_url, "orderDetailsUrl", &mut report);
        report
    }
}

impl Validate for AddCategoryRequest {
    fn validate(&self) -> ValidationReport {
        let mut report = ValidationReport::new();
        check_payment_type(&self.payment_type, "paymentType", &mut report);
        check_category_type(&self.category_type, "type", &mut report);
        check_url(&self.url, "url", &mut report);
        report
    }
}

fn check_category_type(value: &CategoryType, path: &str, report: &mut ValidationReport) {
    if let CategoryType::Unknown(v) = value {
        report.error(
            path,
            format!("{v:?} is not a category; use {}", CategoryType::expected()),
        );
    }
}

/// Adds an error when `value` is not `ECOM` or `RECURRING`.
pub fn check_payment_type(value: &PaymentType, path: &str, report: &mut ValidationReport) {
    if let PaymentType::Unknown(v) = value {
        report.error(
            path,
            format!("{v:?} is not a payment type; use \"ECOM\" for eCom and ePayment payments or \"RECURRING\" for Recurring charges"),
        );
    }
}

/// Checks that `value` is an absolute URL: not absolute is an error,
/// anything but `https` a warning.
pub fn check_url(value: &str, path: &str, report: &mut ValidationReport) {
    if value.trim().is_empty() {
        report.error(
            path,
            "the link is empty; give an absolute https URL to the order on your site",
        );
        return;
    }
    match url::Url::parse(value) {
        Ok(url) if url.scheme() == "https" && url.has_host() => {}
        Ok(url) if url.cannot_be_a_base() || !url.has_host() => report.warning(
            path,
            format!("{value:?} is not a web link ({} scheme); the app opens links in the phone's browser, so use an https URL", url.scheme()),
        ),
        Ok(url) => report.warning(path, format!("{value:?} uses {}; use https so the phone's browser opens it safely", url.scheme())),
        Err(_) => report.error(path, format!("{value:?} is not an absolute URL; write the full address, e.g. https://shop.example/orders/123")),
    }
}

// ---------------------------------------------------------------- images

/// Largest image file the API accepts: 2 MB, read as 2 MiB (the
/// documentation writes "2MB"; .NET upload limits are powers of two).
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;
/// Smallest image height the API accepts, in pixels.
pub const MIN_IMAGE_HEIGHT: u32 = 167;

impl Validate for Image {
    fn validate(&self) -> ValidationReport {
        let mut report = ValidationReport::new();
        if let ImageEncoding::Unknown(v) = &self.encoding {
            report.error(
                "type",
                format!("{v:?} is not an image encoding; use \"base64\""),
            );
        }
        match self.decode() {
            Ok(bytes) => report.merge(validate_image_bytes(&bytes, "src")),
            Err(_) => report.error("src", "the image data is not valid base64; send the file's bytes base64-encoded (not a URL)"),
        }
        report
    }
}

/// Checks image file bytes: PNG or JPEG by content, height ≥ 167 px,
/// ≤ 2 MiB; a non-square image is a warning.
pub fn validate_image_bytes(bytes: &[u8], path: &str) -> ValidationReport {
    let mut report = ValidationReport::new();
    if bytes.is_empty() {
        report.error(path, "the image is empty; choose a PNG or JPEG file");
        return report;
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        report.error(
            path,
            format!("the image is {} bytes; the limit is 2 MB ({MAX_IMAGE_BYTES} bytes): make it smaller", bytes.len()),
        );
    }
    match ImageFacts::inspect(bytes) {
        Err(kind) => report.error(
            path,
            format!("the file is {kind}, not a PNG or JPEG image; convert it to PNG or JPEG"),
        ),
        Ok(facts) => {
            if facts.height < MIN_IMAGE_HEIGHT {
                report.error(
                    path,
                    format!(
                        "the image is {}×{} px; it must be at least {MIN_IMAGE_HEIGHT} px high: use a larger image",
                        facts.width, facts.height
                    ),
                );
            }
            if facts.width != facts.height {
                report.warning(
                    path,
                    format!("the image is {}×{} px; square images are recommended, others may be cropped in the app", facts.width, facts.height),
                );
            }
            debug_assert!(matches!(facts.format, ImageFormat::Png | ImageFormat::Jpeg));
        }
    }
    report
}

#[cfg(test)]
mod tests;
