//! [`ReceiptBuilder`]: build a receipt from what a shop knows (unit price,
//! quantity, tax rate, discount) and let the crate compute the amounts the
//! API wants, with one rounding rule.
//!
//! **Rounding rule.** For each line:
//! 1. `gross = round(unitPrice × quantity) − discount`
//! 2. `totalAmountExcludingTax = round(gross × 10000 / (10000 + taxRate))`
//! 3. `totalTaxAmount = gross − totalAmountExcludingTax`
//!
//! where `round` is half away from zero to a whole minor unit. Step 3 makes
//! `totalAmount = totalAmountExcludingTax + totalTaxAmount` exact, and the
//! tax is always within `(1 + rate) / 2` minor units of `excl × rate` (never
//! more than one), inside the tolerance [`crate::validate`] allows.
//!
//! ```
//! use vipps_om::builder::{LineBuilder, ReceiptBuilder};
//! use vipps_om::{Amount, Currency, TaxRate};
//!
//! let receipt = ReceiptBuilder::new(Currency::Nok)
//!     .line(LineBuilder::new("sku-1", "Wool socks").unit_price(Amount::minor(14_900)).quantity("2").tax_rate(TaxRate::from_percent(25)))
//!     .shipping("Home delivery", Amount::minor(9_900), TaxRate::from_percent(25))
//!     .receipt_number("10042")
//!     .expect_payment(Amount::minor(39_700))
//!     .build()
//!     .expect("valid receipt");
//! assert_eq!(receipt.order_lines[0].total_tax_amount, Amount::minor(5_960));
//! ```

use crate::enums::{BarcodeFormat, Currency, QuantityUnit};
use crate::models::{Barcode, BottomLine, OrderLine, PaymentSources, Receipt, UnitInfo};
use crate::money::{Amount, TaxRate, div_round_half_away};
use crate::validate::{Quantity, Validate, ValidationReport};

/// One line to be computed.
#[derive(Debug, Clone)]
pub struct LineBuilder {
    id: String,
    name: String,
    unit_price: Amount,
    quantity: String,
    unit: Option<QuantityUnit>,
    tax_rate: TaxRate,
    discount: Amount,
    product_url: Option<String>,
    is_return: bool,
    is_shipping: bool,
}

impl LineBuilder {
    /// A line of 1 piece at price 0, tax 0 %.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        LineBuilder {
            id: id.into(),
            name: name.into(),
            unit_price: Amount::ZERO,
            quantity: "1".into(),
            unit: None,
            tax_rate: TaxRate::ZERO,
            discount: Amount::ZERO,
            product_url: None,
            is_return: false,
            is_shipping: false,
        }
    }

    /// Price per unit, including tax, before discount.
    pub fn unit_price(mut self, price: Amount) -> Self {
        self.unit_price = price;
        self
    }

    /// Quantity in the API's format (`"2"`, `"0.822"`).
    pub fn quantity(mut self, quantity: impl Into<String>) -> Self {
        self.quantity = quantity.into();
        self
    }

    /// Unit of the quantity (default: pieces).
    pub fn unit(mut self, unit: QuantityUnit) -> Self {
        self.unit = Some(unit);
        self
    }

    /// Tax rate of the line.
    pub fn tax_rate(mut self, rate: TaxRate) -> Self {
        self.tax_rate = rate;
        self
    }

    /// Discount on the whole line, including tax.
    pub fn discount(mut self, discount: Amount) -> Self {
        self.discount = discount;
        self
    }

    /// Link to the product.
    pub fn product_url(mut self, url: impl Into<String>) -> Self {
        self.product_url = Some(url.into());
        self
    }

    /// Marks the line as a returned item (it counts negative in the sums).
    pub fn returned(mut self) -> Self {
        self.is_return = true;
        self
    }

    /// Marks the line as shipping.
    pub fn shipping(mut self) -> Self {
        self.is_shipping = true;
        self
    }

    /// The API line with computed amounts. A quantity that does not parse
    /// counts as 1 here and is reported by validation of the result. When
    /// the amounts do not fit (`unitPrice × quantity − discount` beyond an
    /// amount), the line gets zero amounts and the second value says why.
    fn compute(&self) -> (OrderLine, Option<(&'static str, String)>) {
        let quantity = Quantity::parse(&self.quantity);
        let amounts = quantity
            .map_or(Some(self.unit_price), |q| q.times(self.unit_price))
            .and_then(|gross| gross.checked_sub(self.discount))
            .and_then(|gross| {
                split_tax(gross, self.tax_rate).map(|(excl, tax)| (gross, excl, tax))
            });
        let problem = amounts.is_none().then(|| {
            (
                "unitInfo.unitPrice",
                format!(
                    "unitPrice {} × quantity {} − discount {} does not fit in an amount; no receipt line holds that much: check that the price is in minor units (øre, cents)",
                    self.unit_price.minor_units(),
                    self.quantity,
                    self.discount.minor_units()
                ),
            )
        });
        let (gross, excl, tax) = amounts.unwrap_or((Amount::ZERO, Amount::ZERO, Amount::ZERO));
        let line = OrderLine {
            name: self.name.clone(),
            id: self.id.clone(),
            total_amount: gross,
            total_amount_excluding_tax: excl,
            total_tax_amount: tax,
            tax_rate: Some(i64::from(self.tax_rate.basis())),
            tax_percentage: None,
            unit_info: Some(UnitInfo {
                unit_price: Some(self.unit_price),
                quantity: self.quantity.clone(),
                quantity_unit: self.unit.clone(),
            }),
            discount: (self.discount != Amount::ZERO).then_some(self.discount),
            product_url: self.product_url.clone(),
            is_return: self.is_return.then_some(true),
            is_shipping: self.is_shipping.then_some(true),
        };
        (line, problem)
    }
}

/// Splits an amount including tax into (excluding tax, tax) by the rule in
/// the module docs. Both parts are at most `gross` in size, so this is
/// `Some` for every amount; the arithmetic is checked all the same.
pub fn split_tax(gross: Amount, rate: TaxRate) -> Option<(Amount, Amount)> {
    let excl = div_round_half_away(
        i128::from(gross.minor_units()) * 10_000,
        10_000 + i128::from(rate.basis()),
    );
    let excl = Amount::minor(i64::try_from(excl).ok()?);
    Some((excl, gross.checked_sub(excl)?))
}

/// Builds a [`Receipt`] line by line.
#[derive(Debug, Clone)]
pub struct ReceiptBuilder {
    lines: Vec<LineBuilder>,
    bottom_line: BottomLine,
    expected_payment: Option<Amount>,
}

impl ReceiptBuilder {
    /// An empty receipt in `currency`.
    pub fn new(currency: Currency) -> Self {
        ReceiptBuilder {
            lines: Vec::new(),
            bottom_line: BottomLine::new(currency),
            expected_payment: None,
        }
    }

    /// Adds a line.
    pub fn line(mut self, line: LineBuilder) -> Self {
        self.lines.push(line);
        self
    }

    /// Adds a shipping line of `price` (including tax).
    pub fn shipping(self, name: impl Into<String>, price: Amount, rate: TaxRate) -> Self {
        let line = LineBuilder::new("shipping", name)
            .unit_price(price)
            .tax_rate(rate)
            .shipping();
        self.line(line)
    }

    /// Sets the tip.
    pub fn tip(mut self, tip: Amount) -> Self {
        self.bottom_line.tip_amount = Some(tip);
        self
    }

    /// Sets the POS terminal id.
    pub fn pos_id(mut self, pos_id: impl Into<String>) -> Self {
        self.bottom_line.pos_id = Some(pos_id.into());
        self
    }

    /// Sets the receipt number.
    pub fn receipt_number(mut self, number: impl Into<String>) -> Self {
        self.bottom_line.receipt_number = Some(number.into());
        self
    }

    /// Sets the barcode.
    pub fn barcode(mut self, format: BarcodeFormat, data: impl Into<String>) -> Self {
        self.bottom_line.barcode = Some(Barcode {
            format,
            data: Some(data.into()),
        });
        self
    }

    /// Sets how the payment was made.
    pub fn payment_sources(mut self, sources: PaymentSources) -> Self {
        self.bottom_line.payment_sources = Some(sources);
        self
    }

    /// Requires the receipt (lines plus tip) to add up to the payment amount.
    pub fn expect_payment(mut self, amount: Amount) -> Self {
        self.expected_payment = Some(amount);
        self
    }

    /// The receipt, or every problem found in it. Warnings are dropped;
    /// use [`ReceiptBuilder::build_with_report`] to see them.
    pub fn build(self) -> Result<Receipt, ValidationReport> {
        self.build_with_report().map(|(receipt, _)| receipt)
    }

    /// The receipt and its warnings, or every problem found in it.
    pub fn build_with_report(self) -> Result<(Receipt, ValidationReport), ValidationReport> {
        let mut overflows = ValidationReport::new();
        let mut order_lines = Vec::with_capacity(self.lines.len());
        for (i, line) in self.lines.iter().enumerate() {
            let (line, problem) = line.compute();
            if let Some((field, message)) = problem {
                overflows.error(format!("orderLines[{i}].{field}"), message);
            }
            order_lines.push(line);
        }
        let receipt = Receipt {
            order_lines,
            bottom_line: self.bottom_line,
        };
        let mut report = receipt.validate();
        // Validation names most of these itself (`unitPrice × quantity`).
        for problem in overflows.errors() {
            if !report.errors().any(|p| p.path == problem.path) {
                report.error(problem.path.clone(), problem.message.clone());
            }
        }
        if let Some(payment) = self.expected_payment {
            report.merge(receipt.check_against_payment(payment));
        }
        report.into_result().map(|warnings| (receipt, warnings))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn computes_the_spec_example_lines() {
        let r = ReceiptBuilder::new(Currency::Nok)
            .line(
                LineBuilder::new("line_item_1", "socks")
                    .unit_price(Amount::minor(400))
                    .quantity("2.5")
                    .unit(QuantityUnit::Kg)
                    .tax_rate(TaxRate::new(2500).unwrap()),
            )
            .line(
                LineBuilder::new("line_item_2", "flip-flops")
                    .unit_price(Amount::minor(2500))
                    .quantity("3")
                    .tax_rate(TaxRate::new(2500).unwrap())
                    .discount(Amount::minor(2500)),
            )
            .build()
            .unwrap();
        let amounts: Vec<_> = r
            .order_lines
            .iter()
            .map(|l| {
                (
                    l.total_amount.minor_units(),
                    l.total_amount_excluding_tax.minor_units(),
                    l.total_tax_amount.minor_units(),
                )
            })
            .collect();
        assert_eq!(amounts, vec![(1000, 800, 200), (5000, 4000, 1000)]);
    }

    #[test]
    fn returns_and_shipping_are_flagged_and_summed() {
        let r = ReceiptBuilder::new(Currency::Nok)
            .line(
                LineBuilder::new("a", "Jacket")
                    .unit_price(Amount::minor(100_000))
                    .tax_rate(TaxRate::new(2500).unwrap()),
            )
            .line(
                LineBuilder::new("b", "Returned cap")
                    .unit_price(Amount::minor(20_000))
                    .tax_rate(TaxRate::new(2500).unwrap())
                    .returned(),
            )
            .shipping(
                "Home delivery",
                Amount::minor(4_900),
                TaxRate::new(2500).unwrap(),
            )
            .expect_payment(Amount::minor(84_900))
            .build()
            .unwrap();
        assert_eq!(r.total(), Some(Amount::minor(84_900)));
        assert_eq!(r.order_lines[1].is_return, Some(true));
        assert_eq!(r.order_lines[2].is_shipping, Some(true));
    }

    #[test]
    fn payment_mismatch_and_bad_quantity_are_reported_together() {
        let err = ReceiptBuilder::new(Currency::Nok)
            .line(
                LineBuilder::new("a", "Coffee")
                    .unit_price(Amount::minor(4_500))
                    .quantity("1,5")
                    .tax_rate(TaxRate::new(1500).unwrap()),
            )
            .expect_payment(Amount::minor(1))
            .build()
            .unwrap_err();
        let paths: Vec<_> = err.errors().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, vec!["orderLines[0].unitInfo.quantity", "orderLines"]);
    }

    #[test]
    fn amounts_that_do_not_fit_are_refused_with_the_field_named() {
        // One line whose unit price × quantity is beyond an amount.
        let err = ReceiptBuilder::new(Currency::Nok)
            .line(
                LineBuilder::new("a", "Gold")
                    .unit_price(Amount::minor(i64::MAX))
                    .quantity("2")
                    .tax_rate(TaxRate::new(2500).unwrap()),
            )
            .build()
            .unwrap_err();
        let paths: Vec<_> = err.errors().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, vec!["orderLines[0].unitInfo.unitPrice"], "{err}");

        // Two lines that fit alone but not together.
        let err = ReceiptBuilder::new(Currency::Nok)
            .line(LineBuilder::new("a", "A").unit_price(Amount::minor(i64::MAX)))
            .line(LineBuilder::new("b", "B").unit_price(Amount::minor(1)))
            .build()
            .unwrap_err();
        let paths: Vec<_> = err.errors().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "orderLines[1].totalAmount",
                "orderLines[1].totalAmountExcludingTax"
            ],
            "{err}"
        );
    }

    proptest! {
        /// Whatever the shop sends, the built line adds up and its tax is
        /// within (1 + rate) / 2 minor units of excl × rate.
        #[test]
        fn built_lines_are_consistent(price in 0i64..100_000_000, qty in 1u32..1000, rate in 0u32..=10_000) {
            let r = ReceiptBuilder::new(Currency::Nok)
                .line(LineBuilder::new("x", "X").unit_price(Amount::minor(price)).quantity(qty.to_string()).tax_rate(TaxRate::new(rate).unwrap()))
                .build();
            let r = r.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let l = &r.order_lines[0];
            prop_assert_eq!(Some(l.total_amount), l.total_amount_excluding_tax.checked_add(l.total_tax_amount));
            let exact2 = i128::from(l.total_amount_excluding_tax.minor_units()) * i128::from(rate) * 2;
            prop_assert!((i128::from(l.total_tax_amount.minor_units()) * 20_000 - exact2).abs() <= 10_000 + i128::from(rate));
        }
    }
}
