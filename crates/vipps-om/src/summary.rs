//! [`OrderSummary`]: an order as the customer sees it in the app, computed
//! once from an [`OrderV2Response`] so that every front end (the CLI, the
//! support console) shows the same lines, groups and totals.
//!
//! Sums follow the API's rules: lines with `isReturn` count negative in every
//! total, shipping lines are shown apart but count in the totals, and the
//! deprecated bottom-line totals are ignored.
//!
//! Every sum is a [`Total`]: added with checked arithmetic, and
//! [`Total::Overflow`] (shown as a marker, `null` in JSON) when the amounts
//! an order came with do not fit in one amount, never a wrapped or
//! saturated number.

use serde::Serialize;

use crate::enums::{CategoryType, Currency, QuantityUnit};
use crate::models::{Barcode, OrderLine, OrderV2Response, PaymentSources, signed};
use crate::money::{Amount, TaxRate, Total};

/// The order as shown in the app.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderSummary {
    /// The link button, when a category was set.
    pub category: Option<CategoryButton>,
    /// The order details, when a receipt was sent.
    pub receipt: Option<ReceiptSummary>,
}

/// The category button on the payment.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CategoryButton {
    /// The category as sent.
    pub category: CategoryType,
    /// The button's label.
    pub label: String,
    /// Where it leads.
    pub url: String,
    /// The image shown with it.
    pub image_id: Option<String>,
}

/// The order details, grouped as the app groups them.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptSummary {
    /// Currency of every amount.
    pub currency: Currency,
    /// Bought items.
    pub items: Vec<LineSummary>,
    /// Shipping lines.
    pub shipping: Vec<LineSummary>,
    /// Returned items.
    pub returns: Vec<LineSummary>,
    /// Totals per tax rate, lowest rate first (returns negative).
    pub tax_totals: Vec<TaxTotal>,
    /// Sum of all lines, returns negative, tip excluded.
    pub total: Total,
    /// Sum of all tax, returns negative.
    pub total_tax: Total,
    /// Sum of all discounts (returns excluded).
    pub total_discount: Total,
    /// What the customer paid: [`ReceiptSummary::total`] plus the tip.
    pub amount_paid: Total,
    /// Tip, when given.
    pub tip: Option<Amount>,
    /// Receipt number.
    pub receipt_number: Option<String>,
    /// POS terminal.
    pub pos_id: Option<String>,
    /// Barcode.
    pub barcode: Option<Barcode>,
    /// How it was paid.
    pub payment_sources: Option<PaymentSources>,
}

/// One line as shown.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineSummary {
    /// Product name.
    pub name: String,
    /// Product id.
    pub id: String,
    /// Quantity as sent (`"1"` when not given).
    pub quantity: String,
    /// Unit (pieces when not given).
    pub unit: QuantityUnit,
    /// Price per unit, when given.
    pub unit_price: Option<Amount>,
    /// Discount, when given and not zero.
    pub discount: Option<Amount>,
    /// Tax rate, when readable.
    pub tax_rate: Option<TaxRate>,
    /// Line total including tax and discount, with the sign it counts
    /// with in the totals: negative for a return (as the CLI and the
    /// console show it). [`Total::Overflow`] only for a return of an
    /// amount that has no negative (`i64::MIN` minor units).
    pub total: Total,
    /// Link to the product.
    pub product_url: Option<String>,
}

/// Totals of all lines with one tax rate.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxTotal {
    /// The rate (`None` for lines without a readable rate).
    pub rate: Option<TaxRate>,
    /// Sum excluding tax.
    pub excluding_tax: Total,
    /// Sum of tax.
    pub tax: Total,
    /// Sum including tax.
    pub total: Total,
}

impl OrderSummary {
    /// Computes the summary of an order.
    pub fn new(order: &OrderV2Response) -> OrderSummary {
        let category = order.category.as_ref().map(|c| CategoryButton {
            label: c.category.button_label().to_owned(),
            category: c.category.clone(),
            url: c.order_details_url.clone(),
            image_id: c.image_id.as_ref().map(|i| i.to_string()),
        });
        let receipt = order.receipt.as_ref().map(|r| {
            let mut tax_totals: Vec<TaxTotal> = Vec::new();
            for line in &r.order_lines {
                let add = |sum: Total, a: Amount| match signed(line.is_return(), a) {
                    Some(a) => sum.plus(a),
                    None => Total::Overflow,
                };
                let rate = line.effective_tax_rate();
                let index = match tax_totals.iter().position(|t| t.rate == rate) {
                    Some(i) => i,
                    None => {
                        tax_totals.push(TaxTotal {
                            rate,
                            excluding_tax: Total::ZERO,
                            tax: Total::ZERO,
                            total: Total::ZERO,
                        });
                        tax_totals.len() - 1
                    }
                };
                let t = &mut tax_totals[index];
                t.excluding_tax = add(t.excluding_tax, line.total_amount_excluding_tax);
                t.tax = add(t.tax, line.total_tax_amount);
                t.total = add(t.total, line.total_amount);
            }
            tax_totals.sort_by_key(|t| t.rate);
            let group = |keep: fn(&OrderLine) -> bool| {
                r.order_lines
                    .iter()
                    .filter(|l| keep(l))
                    .map(line_summary)
                    .collect()
            };
            let total = Total::from_checked(r.total());
            ReceiptSummary {
                currency: r.bottom_line.currency.clone(),
                items: group(|l| !l.is_return() && !l.is_shipping()),
                shipping: group(|l| !l.is_return() && l.is_shipping()),
                returns: group(|l| l.is_return()),
                total,
                amount_paid: total.plus(r.bottom_line.tip_amount.unwrap_or_default()),
                total_tax: tax_totals
                    .iter()
                    .fold(Total::ZERO, |sum, t| sum.plus_total(t.tax)),
                total_discount: Total::of(
                    r.order_lines
                        .iter()
                        .filter(|l| !l.is_return())
                        .filter_map(|l| l.discount),
                ),
                tax_totals,
                tip: r.bottom_line.tip_amount,
                receipt_number: r.bottom_line.receipt_number.clone(),
                pos_id: r
                    .bottom_line
                    .pos_id
                    .clone()
                    .or_else(|| r.bottom_line.terminal_id.clone()),
                barcode: r.bottom_line.barcode.clone(),
                payment_sources: r.bottom_line.payment_sources.clone(),
            }
        });
        OrderSummary { category, receipt }
    }
}

fn line_summary(line: &OrderLine) -> LineSummary {
    let info = line.unit_info.as_ref();
    LineSummary {
        name: line.name.clone(),
        id: line.id.clone(),
        quantity: info
            .map(|u| u.quantity.clone())
            .unwrap_or_else(|| "1".into()),
        unit: info
            .and_then(|u| u.quantity_unit.clone())
            .unwrap_or(QuantityUnit::Pcs),
        unit_price: info.and_then(|u| u.unit_price),
        discount: line.discount.filter(|d| *d != Amount::ZERO),
        tax_rate: line.effective_tax_rate(),
        total: Total::from_checked(line.signed_total()),
        product_url: line.product_url.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{LineBuilder, ReceiptBuilder};
    use crate::models::Category;

    #[test]
    fn groups_lines_and_totals_per_tax_rate() {
        let receipt = ReceiptBuilder::new(Currency::Nok)
            .line(
                LineBuilder::new("a", "Jacket")
                    .unit_price(Amount::minor(100_000))
                    .tax_rate(TaxRate::new(2500).unwrap())
                    .discount(Amount::minor(10_000)),
            )
            .line(
                LineBuilder::new("b", "Coffee")
                    .unit_price(Amount::minor(11_500))
                    .tax_rate(TaxRate::new(1500).unwrap()),
            )
            .line(
                LineBuilder::new("c", "Cap")
                    .unit_price(Amount::minor(20_000))
                    .tax_rate(TaxRate::new(2500).unwrap())
                    .returned(),
            )
            .shipping(
                "Home delivery",
                Amount::minor(5_000),
                TaxRate::new(2500).unwrap(),
            )
            .receipt_number("42")
            .build()
            .unwrap();
        let order = OrderV2Response {
            category: Some(Category {
                category: CategoryType::Delivery,
                order_details_url: "https://x".into(),
                image_id: None,
            }),
            receipt: Some(receipt),
        };
        let summary = OrderSummary::new(&order);
        assert_eq!(summary.category.as_ref().unwrap().label, "Track delivery");
        let r = summary.receipt.unwrap();
        assert_eq!(
            (r.items.len(), r.shipping.len(), r.returns.len()),
            (2, 1, 1)
        );
        assert_eq!(r.total, Amount::minor(90_000 + 11_500 - 20_000 + 5_000));
        assert_eq!(
            r.returns[0].total,
            Amount::minor(-20_000),
            "a return counts negative"
        );
        assert_eq!(r.items[0].total, Amount::minor(90_000));
        assert_eq!(r.amount_paid, r.total);
        assert_eq!(r.total_discount, Amount::minor(10_000));
        let rates: Vec<_> = r
            .tax_totals
            .iter()
            .map(|t| {
                (
                    t.rate.unwrap().basis(),
                    t.total.amount().unwrap().minor_units(),
                )
            })
            .collect();
        assert_eq!(rates, vec![(1500, 11_500), (2500, 90_000 - 20_000 + 5_000)]);
        assert_eq!(
            r.total_tax,
            Total::of(r.tax_totals.iter().filter_map(|t| t.tax.amount()))
        );
        assert_eq!(r.receipt_number.as_deref(), Some("42"));
    }

    /// An order as the API may send it (no validation on the way back):
    /// two lines of `i64::MAX` each. Every sum that does not fit is an
    /// overflow, never a wrapped or saturated number; the sums that fit
    /// are still shown.
    #[test]
    fn sums_that_do_not_fit_are_overflows() {
        let line = |id: &str, amount: i64, rate: i64| OrderLine {
            name: id.into(),
            id: id.into(),
            total_amount: Amount::minor(amount),
            total_amount_excluding_tax: Amount::minor(amount),
            total_tax_amount: Amount::minor(0),
            tax_rate: Some(rate),
            tax_percentage: None,
            unit_info: None,
            discount: None,
            product_url: None,
            is_return: None,
            is_shipping: None,
        };
        let mut receipt = crate::models::Receipt {
            order_lines: vec![
                line("a", i64::MAX, 0),
                line("b", i64::MAX, 0),
                line("c", 100, 2500),
            ],
            bottom_line: crate::models::BottomLine::new(Currency::Nok),
        };
        receipt.bottom_line.tip_amount = Some(Amount::minor(1));
        let order = OrderV2Response {
            category: None,
            receipt: Some(receipt),
        };
        let r = OrderSummary::new(&order).receipt.unwrap();
        assert_eq!(r.total, Total::Overflow);
        assert_eq!(r.amount_paid, Total::Overflow);
        assert_eq!(r.tax_totals[0].total, Total::Overflow);
        assert_eq!(r.tax_totals[0].tax, Amount::minor(0));
        assert_eq!(r.tax_totals[1].total, Amount::minor(100));
        assert_eq!(r.total_tax, Amount::minor(0));
        let json = serde_json::to_value(&r).unwrap();
        assert!(json["total"].is_null(), "{json}");
        assert_eq!(json["taxTotals"][1]["total"], 100);
    }

    #[test]
    fn an_order_without_receipt_has_none() {
        let summary = OrderSummary::new(&OrderV2Response::default());
        assert!(summary.category.is_none() && summary.receipt.is_none());
    }
}
